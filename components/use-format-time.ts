"use client";

import { useFormatter } from "next-intl";

/** Instants as date and time in the user's language and the chosen time zone (Intl). */
export function useFormatTime(tz: string) {
  const format = useFormatter();
  return {
    /** Date and time to the second, e.g. "25 nov 2026, 09:02:03". */
    full: (instant: string | number) => format.dateTime(typeof instant === "string" ? Date.parse(instant) : instant, { timeZone: tz, dateStyle: "medium", timeStyle: "medium" }),
    /** Date and time to the minute. */
    short: (instant: string | number) => format.dateTime(typeof instant === "string" ? Date.parse(instant) : instant, { timeZone: tz, dateStyle: "medium", timeStyle: "short" }),
  };
}
