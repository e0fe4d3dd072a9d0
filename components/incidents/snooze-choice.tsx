"use client";

import { useTranslations } from "next-intl";
import { Input, NativeSelect } from "@/components/ui/input";
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

/** Snooze lengths in hours, each shown as hours or days. */
const HOUR_CHOICES = [1, 4, 24, 168, 720] as const;

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
  const t = useTranslations("snooze");
  const set = (patch: Partial<SnoozeChoiceState>) => onChange({ ...value, ...patch });
  const row = "flex flex-wrap items-center gap-2";
  return (
    <fieldset className="m-0 flex flex-col gap-2 border-0 p-0" data-testid="snooze-options">
      <legend className="sr-only">{t("legend")}</legend>
      <label className={row}>
        <input type="radio" name="snooze-kind" aria-label={t("forAWhile")} checked={value.kind === "hours"} onChange={() => set({ kind: "hours" })} />
        {t("for")}
        <NativeSelect className="h-8" aria-label={t("snoozeFor")} value={value.hours} onChange={(e) => set({ kind: "hours", hours: e.target.value })}>
          {HOUR_CHOICES.map((hours) => (
            <option key={hours} value={String(hours)}>
              {hours < 168 ? t("hours", { count: hours }) : t("days", { count: hours / 24 })}
            </option>
          ))}
        </NativeSelect>
      </label>
      <label className={row}>
        <input type="radio" name="snooze-kind" aria-label={t("untilDate")} checked={value.kind === "until"} onChange={() => set({ kind: "until" })} />
        {t("until")}
        <Input type="datetime-local" className="h-8 w-auto" aria-label={t("untilLabel")} value={value.until} onChange={(e) => set({ kind: "until", until: e.target.value })} />
      </label>
      <label className={row}>
        <input type="radio" name="snooze-kind" aria-label={t("untilFailures")} checked={value.kind === "failures"} onChange={() => set({ kind: "failures" })} />
        {t("until")}
        <Input
          type="number"
          className="h-8 w-28"
          min={1}
          max={1_000_000}
          aria-label={t("moreFailuresLabel")}
          value={value.failures}
          onChange={(e) => set({ kind: "failures", failures: e.target.value })}
        />
        {t("moreFailures")}
      </label>
      <label className={row}>
        <input type="radio" name="snooze-kind" aria-label={t("untilEscalates")} checked={value.kind === "escalating"} onChange={() => set({ kind: "escalating" })} />
        {t("untilEscalates")}
      </label>
    </fieldset>
  );
}

/** How the API's snooze reads in the UI. */
export function useDescribeSnooze(formatTime: (iso: string) => string) {
  const t = useTranslations("snooze");
  return (snooze: { until: string | null; failuresLeft: number | null; untilEscalating: boolean }): string => {
    if (snooze.until) return t("describeUntil", { at: formatTime(snooze.until) });
    if (snooze.failuresLeft !== null) return t("describeFailures", { count: snooze.failuresLeft });
    return t("describeEscalates");
  };
}
