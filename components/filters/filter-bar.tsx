"use client";

import { useQuery } from "@tanstack/react-query";
import { SlidersHorizontalIcon } from "lucide-react";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Sheet, SheetContent, SheetDescription, SheetTitle, SheetTrigger } from "@/components/ui/sheet";
import { useMediaQuery } from "@/components/use-media-query";
import { useReasonText } from "@/components/use-reason-text";
import { fetchJson } from "@/lib/api-client";
import { RANGE_PRESETS, UNKNOWN, type RangePreset } from "@/lib/filters";
import { INCIDENT_STATUSES } from "@/lib/incidents/statuses";
import type { LabelledFacets } from "@/lib/lines/labels";
import { formatPhone, lineText } from "@/lib/phone-format";
import { facetsQueryKey } from "@/lib/query-keys";
import { REASON_CLASSES, REASONS } from "@/lib/reasons";
import { formatInTimeZone, localInputToIso } from "@/lib/time/format";
import { MultiSelect } from "./multi-select";
import { TimeZonePicker } from "./time-zone-picker";
import { useFilters } from "./use-filters";

const PRESETS = Object.keys(RANGE_PRESETS) as RangePreset[];

/** The shared filter bar: every control writes to the URL, so a link reproduces the view. On phones it folds into a sheet. */
export function FilterBar({ serverTz }: { serverTz: string }) {
  const t = useTranslations("filters");
  const wide = useMediaQuery("(min-width: 768px)", true);
  const [open, setOpen] = useState(false);
  const { filters } = useFilters(serverTz);
  const active = filters.reason.length + filters.class.length + filters.line.length + filters.template.length + filters.status.length + (filters.q ? 1 : 0);
  if (wide) {
    return (
      <div className="mb-4 flex flex-col gap-2 rounded-lg border bg-card p-3 shadow-xs" data-testid="filter-bar">
        <FilterControls serverTz={serverTz} />
      </div>
    );
  }
  return (
    <div className="mb-4 flex items-center gap-2" data-testid="filter-bar">
      <RangeButtons serverTz={serverTz} compact />
      <Sheet open={open} onOpenChange={setOpen}>
        <SheetTrigger asChild>
          <Button variant="outline" size="sm" className="ml-auto" data-testid="filters-open">
            <SlidersHorizontalIcon aria-hidden /> {t("title")}
            {active > 0 && <span className="rounded-full bg-primary px-1.5 text-xs text-primary-foreground">{active}</span>}
          </Button>
        </SheetTrigger>
        <SheetContent side="bottom" closeLabel={t("close")}>
          <SheetTitle>{t("title")}</SheetTitle>
          <SheetDescription>{t("sheetDescription")}</SheetDescription>
          <FilterControls serverTz={serverTz} stacked />
        </SheetContent>
      </Sheet>
    </div>
  );
}

function RangeButtons({ serverTz, compact = false }: { serverTz: string; compact?: boolean }) {
  const t = useTranslations("filters");
  const { filters, setFilters } = useFilters(serverTz);
  const custom = Boolean(filters.from || filters.to);
  const activeRange: RangePreset | "custom" = custom ? "custom" : (filters.range ?? "24h");
  const segment =
    "h-8 cursor-pointer border-r bg-card px-2.5 text-sm last:border-r-0 hover:bg-accent focus-visible:relative focus-visible:z-10 aria-pressed:bg-primary aria-pressed:text-primary-foreground";
  return (
    <div className="inline-flex max-w-full overflow-x-auto rounded-md border shadow-xs" role="group" aria-label={t("timeRange")}>
      {PRESETS.map((p) => (
        <button key={p} type="button" data-slot="toggle" className={segment} aria-pressed={activeRange === p} onClick={() => void setFilters({ range: p, from: null, to: null })}>
          {p}
        </button>
      ))}
      {!compact && (
        <button
          type="button"
          data-slot="toggle"
          className={segment}
          aria-pressed={activeRange === "custom"}
          onClick={() => {
            const to = Date.now();
            const from = to - RANGE_PRESETS[filters.range ?? "24h"];
            void setFilters({ range: null, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
          }}
        >
          {t("custom")}
        </button>
      )}
    </div>
  );
}

function FilterControls({ serverTz, stacked = false }: { serverTz: string; stacked?: boolean }) {
  const t = useTranslations("filters");
  const tClass = useTranslations("reasonClasses");
  const tStatus = useTranslations("incidentStatus");
  const reasonText = useReasonText();
  const { filters, tz, queryString, setFilters } = useFilters(serverTz);
  const facets = useQuery({
    queryKey: facetsQueryKey(queryString),
    queryFn: () => fetchJson<LabelledFacets>(`/api/facets?${queryString}`),
  });
  const custom = Boolean(filters.from || filters.to);
  const [search, setSearch] = useState(filters.q ?? "");

  const knownReasonOptions = REASONS.map((r) => ({
    value: r.code,
    label: reasonText.label(r.code),
    keywords: [reasonText.label(r.code)],
    count: facets.data?.reasons.find((f) => f.reason === r.code)?.count,
  }));
  const unrecognised = (facets.data?.reasons ?? [])
    .filter((f) => !REASONS.some((r) => r.code === f.reason))
    .map((f) => ({ value: f.reason, label: t("unrecognisedReason", { reason: f.reason }), count: f.count }));
  const row = stacked ? "flex flex-col items-stretch gap-3" : "flex flex-wrap items-center gap-2.5";

  return (
    <>
      <div className={row}>
        {stacked ? null : <RangeButtons serverTz={serverTz} />}
        {stacked && <RangeButtons serverTz={serverTz} />}
        {custom && (
          <span className="inline-flex flex-wrap items-center gap-1.5">
            <Input
              type="datetime-local"
              className="h-8 w-auto"
              aria-label={t("from")}
              value={filters.from ? formatInTimeZone(Date.parse(filters.from), tz, "input") : ""}
              onChange={(e) => e.target.value && void setFilters({ from: localInputToIso(e.target.value, tz) })}
            />
            <span aria-hidden>→</span>
            <Input
              type="datetime-local"
              className="h-8 w-auto"
              aria-label={t("to")}
              value={filters.to ? formatInTimeZone(Date.parse(filters.to), tz, "input") : ""}
              onChange={(e) => e.target.value && void setFilters({ to: localInputToIso(e.target.value, tz) })}
            />
          </span>
        )}
        <TimeZonePicker value={tz} onChange={(z) => void setFilters({ tz: z })} />
        <form
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            void setFilters({ q: search.trim() || null });
          }}
        >
          <Input
            type="search"
            className={stacked ? "h-8" : "h-8 w-52"}
            placeholder={t("searchPhone")}
            aria-label={t("searchPhone")}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </form>
      </div>
      <div className={row}>
        <MultiSelect
          label={t("class")}
          testId="filter-class"
          searchable={false}
          options={REASON_CLASSES.map((c) => ({ value: c, label: tClass(c), keywords: [tClass(c)] }))}
          selected={filters.class}
          onChange={(v) => void setFilters({ class: v.length ? (v as typeof filters.class) : null })}
        />
        <MultiSelect
          label={t("reason")}
          testId="filter-reason"
          options={[...knownReasonOptions, ...unrecognised]}
          selected={filters.reason}
          onChange={(v) => void setFilters({ reason: v.length ? v : null })}
        />
        <MultiSelect
          label={t("line")}
          testId="filter-line"
          options={(facets.data?.lines ?? []).map((l) => ({
            value: l.line ?? UNKNOWN,
            label: l.line ? lineText(l.line, l.label) : t("unknown"),
            count: l.count,
            keywords: l.line ? [l.line, formatPhone(l.line), ...(l.label ? [l.label] : [])] : [t("unknown")],
          }))}
          selected={filters.line}
          onChange={(v) => void setFilters({ line: v.length ? v : null })}
        />
        <MultiSelect
          label={t("template")}
          testId="filter-template"
          options={(facets.data?.templates ?? []).map((x) => ({ value: x.template ?? UNKNOWN, label: x.template ?? t("unknown"), count: x.count }))}
          selected={filters.template}
          onChange={(v) => void setFilters({ template: v.length ? v : null })}
        />
        <MultiSelect
          label={t("incident")}
          testId="filter-status"
          searchable={false}
          options={INCIDENT_STATUSES.map((s) => ({ value: s, label: tStatus(s), keywords: [tStatus(s)] }))}
          selected={filters.status}
          onChange={(v) => void setFilters({ status: v.length ? (v as typeof filters.status) : null })}
        />
        {filters.reason.length || filters.class.length || filters.line.length || filters.template.length || filters.status.length || filters.q ? (
          <Button
            type="button"
            variant="link"
            size="sm"
            onClick={() => {
              setSearch("");
              void setFilters({ reason: null, class: null, line: null, template: null, status: null, q: null });
            }}
          >
            {t("clearAll")}
          </Button>
        ) : null}
        {facets.isError && <span className="text-destructive">{t("facetsFailed")}</span>}
      </div>
    </>
  );
}
