"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { fetchJson } from "@/lib/api-client";
import { RANGE_PRESETS, UNKNOWN, type RangePreset } from "@/lib/filters";
import { INCIDENT_STATUSES } from "@/lib/incidents/statuses";
import type { LabelledFacets } from "@/lib/lines/labels";
import { formatPhone, lineText } from "@/lib/phone-format";
import { REASON_CLASS_LABELS, REASON_CLASSES, REASONS } from "@/lib/reasons";
import { formatInTimeZone, localInputToIso } from "@/lib/time/format";
import { MultiSelect } from "./multi-select";
import { useFilters } from "./use-filters";
import { facetsQueryKey } from "@/lib/query-keys";

const PRESETS = Object.keys(RANGE_PRESETS) as RangePreset[];
const TIME_ZONES: string[] = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : ["UTC"];

/** The shared filter bar: every control writes to the URL, so a link reproduces the view. */
export function FilterBar({ serverTz }: { serverTz: string }) {
  const { filters, tz, queryString, setFilters } = useFilters(serverTz);
  const facets = useQuery({
    queryKey: facetsQueryKey(queryString),
    queryFn: () => fetchJson<LabelledFacets>(`/api/facets?${queryString}`),
  });
  const custom = Boolean(filters.from || filters.to);
  const [search, setSearch] = useState(filters.q ?? "");

  const activeRange: RangePreset | "custom" = custom ? "custom" : (filters.range ?? "24h");
  const knownReasonOptions = REASONS.map((r) => ({
    value: r.code,
    label: r.label,
    count: facets.data?.reasons.find((f) => f.reason === r.code)?.count,
  }));
  const unrecognised = (facets.data?.reasons ?? [])
    .filter((f) => !REASONS.some((r) => r.code === f.reason))
    .map((f) => ({ value: f.reason, label: `${f.reason} (unrecognised)`, count: f.count }));

  return (
    <div className="filter-bar" data-testid="filter-bar">
      <div className="filter-row">
        <div className="segmented" role="group" aria-label="Time range">
          {PRESETS.map((p) => (
            <button
              key={p}
              type="button"
              aria-pressed={activeRange === p}
              onClick={() => void setFilters({ range: p, from: null, to: null })}
            >
              {p}
            </button>
          ))}
          <button
            type="button"
            aria-pressed={activeRange === "custom"}
            onClick={() => {
              const to = Date.now();
              const from = to - RANGE_PRESETS[filters.range ?? "24h"];
              void setFilters({ range: null, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
            }}
          >
            Custom
          </button>
        </div>
        {custom && (
          <span className="custom-range">
            <input
              type="datetime-local"
              aria-label="From"
              value={filters.from ? formatInTimeZone(Date.parse(filters.from), tz, "input") : ""}
              onChange={(e) => e.target.value && void setFilters({ from: localInputToIso(e.target.value, tz) })}
            />
            →
            <input
              type="datetime-local"
              aria-label="To"
              value={filters.to ? formatInTimeZone(Date.parse(filters.to), tz, "input") : ""}
              onChange={(e) => e.target.value && void setFilters({ to: localInputToIso(e.target.value, tz) })}
            />
          </span>
        )}
        <label className="tz">
          <span className="muted">Time zone</span>
          <select value={tz} onChange={(e) => void setFilters({ tz: e.target.value })} data-testid="tz-select">
            {!TIME_ZONES.includes(tz) && <option value={tz}>{tz}</option>}
            {TIME_ZONES.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </label>
        <form
          className="search"
          onSubmit={(e) => {
            e.preventDefault();
            void setFilters({ q: search.trim() || null });
          }}
        >
          <input
            type="search"
            placeholder="Search phone number"
            aria-label="Search phone number"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </form>
      </div>
      <div className="filter-row">
        <MultiSelect
          label="Class"
          testId="filter-class"
          options={REASON_CLASSES.map((c) => ({ value: c, label: REASON_CLASS_LABELS[c] }))}
          selected={filters.class}
          onChange={(v) => void setFilters({ class: v.length ? (v as typeof filters.class) : null })}
        />
        <MultiSelect
          label="Reason"
          testId="filter-reason"
          options={[...knownReasonOptions, ...unrecognised]}
          selected={filters.reason}
          onChange={(v) => void setFilters({ reason: v.length ? v : null })}
        />
        <MultiSelect
          label="Line"
          testId="filter-line"
          searchable
          options={(facets.data?.lines ?? []).map((l) => ({
            value: l.line ?? UNKNOWN,
            label: lineText(l.line, l.label),
            count: l.count,
            keywords: l.line ? `${l.line} ${formatPhone(l.line)}` : undefined,
          }))}
          selected={filters.line}
          onChange={(v) => void setFilters({ line: v.length ? v : null })}
        />
        <MultiSelect
          label="Template"
          testId="filter-template"
          options={(facets.data?.templates ?? []).map((t) => ({
            value: t.template ?? UNKNOWN,
            label: t.template ?? "unknown",
            count: t.count,
          }))}
          selected={filters.template}
          onChange={(v) => void setFilters({ template: v.length ? v : null })}
        />
        <MultiSelect
          label="Incident"
          testId="filter-status"
          options={INCIDENT_STATUSES.map((s) => ({ value: s, label: s }))}
          selected={filters.status}
          onChange={(v) => void setFilters({ status: v.length ? (v as typeof filters.status) : null })}
        />
        {(filters.reason.length || filters.class.length || filters.line.length || filters.template.length || filters.status.length || filters.q) ? (
          <button
            type="button"
            className="link"
            onClick={() => {
              setSearch("");
              void setFilters({ reason: null, class: null, line: null, template: null, status: null, q: null });
            }}
          >
            Clear filters
          </button>
        ) : null}
        {facets.isError && <span className="error-inline">Could not load filter values.</span>}
      </div>
    </div>
  );
}
