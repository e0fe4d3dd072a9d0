"use client";

import type { SnoozeInput } from "@/lib/incidents/snooze";

/** The snooze form's state; `snoozeBody` turns it into the API's one condition. */
export interface SnoozeChoiceState {
  kind: "hours" | "until" | "failures" | "escalating";
  hours: string;
  /** A datetime-local value, in the browser's time zone. */
  until: string;
  failures: string;
}

export const DEFAULT_SNOOZE: SnoozeChoiceState = { kind: "hours", hours: "24", until: "", failures: "100" };

const HOUR_CHOICES = [
  ["1", "1 hour"],
  ["4", "4 hours"],
  ["24", "24 hours"],
  ["168", "7 days"],
  ["720", "30 days"],
] as const;

/** The request body for the choice, or null while it is incomplete. */
export function snoozeBody(c: SnoozeChoiceState): SnoozeInput | null {
  if (c.kind === "hours") return { hours: Number(c.hours) };
  if (c.kind === "escalating") return { untilEscalating: true };
  if (c.kind === "failures") {
    const n = Number(c.failures);
    return Number.isInteger(n) && n >= 1 && n <= 1_000_000 ? { failures: n } : null;
  }
  const at = c.until ? new Date(c.until) : null;
  return at && !Number.isNaN(at.getTime()) && at.getTime() > Date.now() ? { until: at.toISOString() } : null;
}

/** What wakes a snoozed incident: a time, a number of further failures, or escalation. */
export function SnoozeChoice({ value, onChange }: { value: SnoozeChoiceState; onChange: (next: SnoozeChoiceState) => void }) {
  const set = (patch: Partial<SnoozeChoiceState>) => onChange({ ...value, ...patch });
  return (
    <fieldset className="snooze-options" data-testid="snooze-options">
      <legend className="sr-only">Snooze until</legend>
      <label>
        <input type="radio" name="snooze-kind" aria-label="For a while" checked={value.kind === "hours"} onChange={() => set({ kind: "hours" })} />
        For
        <select aria-label="Snooze for" value={value.hours} onChange={(e) => set({ kind: "hours", hours: e.target.value })}>
          {HOUR_CHOICES.map(([hours, label]) => (
            <option key={hours} value={hours}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="radio" name="snooze-kind" aria-label="Until a date and time" checked={value.kind === "until"} onChange={() => set({ kind: "until" })} />
        Until
        <input type="datetime-local" aria-label="Snooze until (your time zone)" value={value.until} onChange={(e) => set({ kind: "until", until: e.target.value })} />
      </label>
      <label>
        <input type="radio" name="snooze-kind" aria-label="Until a number of failures" checked={value.kind === "failures"} onChange={() => set({ kind: "failures" })} />
        Until
        <input
          type="number"
          min={1}
          max={1_000_000}
          aria-label="More failures"
          value={value.failures}
          onChange={(e) => set({ kind: "failures", failures: e.target.value })}
          style={{ width: 110 }}
        />
        more failures
      </label>
      <label>
        <input type="radio" name="snooze-kind" aria-label="Until it escalates" checked={value.kind === "escalating"} onChange={() => set({ kind: "escalating" })} />
        Until it escalates
      </label>
    </fieldset>
  );
}

/** How the API's snooze reads in the UI. */
export function describeSnooze(snooze: { until: string | null; failuresLeft: number | null; untilEscalating: boolean }, formatTime: (iso: string) => string): string {
  if (snooze.until) return `until ${formatTime(snooze.until)}`;
  if (snooze.failuresLeft !== null) return `until ${snooze.failuresLeft.toLocaleString("en-US")} more failure${snooze.failuresLeft === 1 ? "" : "s"}`;
  return "until it escalates";
}
