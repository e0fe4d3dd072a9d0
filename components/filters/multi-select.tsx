"use client";

import { useState } from "react";
import { matchesSearch } from "@/lib/option-search";

export interface Option {
  value: string;
  label: string;
  count?: number;
  /** More text a search matches beyond the label (e.g. a line's stored number). */
  keywords?: string;
}

/** A dropdown of checkboxes; the summary names what is chosen. */
export function MultiSelect({
  label,
  options,
  selected,
  onChange,
  testId,
  searchable = false,
}: {
  label: string;
  options: Option[];
  selected: string[];
  onChange: (values: string[]) => void;
  testId?: string;
  /** A type-to-filter box above the options. */
  searchable?: boolean;
}) {
  const [search, setSearch] = useState("");
  const shown = searchable ? options.filter((o) => matchesSearch(`${o.label} ${o.keywords ?? ""}`, search)) : options;
  const toggle = (value: string) =>
    onChange(selected.includes(value) ? selected.filter((v) => v !== value) : [...selected, value]);
  const summary = selected.length === 0 ? "All" : selected.length === 1 ? (options.find((o) => o.value === selected[0])?.label ?? selected[0]) : `${selected.length} selected`;
  return (
    <details className="multi-select" data-testid={testId}>
      <summary>
        <span className="muted">{label}:</span> {summary}
      </summary>
      <div className="multi-select-menu" role="group" aria-label={label}>
        {selected.length > 0 && (
          <button type="button" className="link" onClick={() => onChange([])}>
            Clear
          </button>
        )}
        {searchable && options.length > 0 && (
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Search" aria-label={`Search ${label.toLowerCase()}`} />
        )}
        {options.length === 0 && <div className="muted">No values in this range</div>}
        {options.length > 0 && shown.length === 0 && <div className="muted">No match</div>}
        {shown.map((o) => (
          <label key={o.value}>
            <input type="checkbox" checked={selected.includes(o.value)} onChange={() => toggle(o.value)} />
            <span>{o.label}</span>
            {o.count !== undefined && <span className="muted count">{o.count.toLocaleString("en-US")}</span>}
          </label>
        ))}
      </div>
    </details>
  );
}
