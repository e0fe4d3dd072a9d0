import { translatorFor } from "@/lib/i18n/translator";
import type { Locale } from "@/lib/i18n/locales";
import { UNKNOWN } from "@/lib/filters";
import type { LineLabelMap } from "@/lib/lines/labels";
import { normalizeLine } from "@/lib/lines/line-key";
import { lineText } from "@/lib/phone-format";
import { REASON_CLASS_LABELS, reasonInfo } from "@/lib/reasons";
import type { IncidentNotificationType, Notification } from "./notification";
import { ruleLines, type RuleFilter } from "./rule-schema";

/**
 * The words of a notification in its channel's language: title, meaning, action and the facts
 * shown beside them, through the message catalogues (the reasons' texts as the interface shows
 * them), with dates in the notification's time zone (named) and numbers in the locale's format.
 * Lines appear under their label with the number formatted. Codes, ids and statuses stay as sent.
 */

export interface Fact {
  title: string;
  value: string;
}

export interface NotificationText {
  title: string;
  meaning: string | null;
  action: string | null;
  facts: Fact[];
  /** The incident's reason label (webhook bodies carry it beside the code). */
  reasonLabel: string | null;
  /** The incident's line label (null when the line has none). */
  lineLabel: string | null;
  /** Each digest reason's label, in the digest's order. */
  digestLabels: string[];
}

export interface AlertWriter {
  locale: Locale;
  describe(n: Notification): NotificationText;
  /** "7 Faultline notifications": the headline of a grouped message. */
  grouped(count: number): string;
  /** "…and 3 more in Faultline." */
  more(count: number): string;
  whatItMeans: string;
  whatToDo: string;
  open: string;
}

const split = (v: string | undefined) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);
/** Filter values are alternatives and scope parts a plain enumeration: commas in every language. */
const join = (parts: string[]) => parts.join(", ");

/** A writer for one channel: its language, its name (test titles), and the line labels at hand. */
export function alertWriter(locale: Locale, channelName: string, labels: LineLabelMap): AlertWriter {
  const t = translatorFor("alertMessages", locale);
  const reasons = translatorFor("reasonCatalogue", locale);
  const classes = translatorFor("reasonClasses", locale);
  const known = (code: string) => reasonInfo(code) !== undefined;
  const reasonLabel = (code: string) => (known(code) ? reasons(`${code}.label`) : code);
  const reasonText = (code: string | undefined) =>
    code && known(code) ? { meaning: reasons(`${code}.meaning`), action: reasons(`${code}.action`) } : { meaning: null, action: null };
  const number = new Intl.NumberFormat(locale);

  /**
   * A line as people know it: "Ventas CO (+57 310 456 7890)", the number alone, or "(unknown)".
   * Looked up under its stored key: a rule's filter may hold the number as someone typed it.
   */
  const line = (value: string | null) => {
    if (!value || value === UNKNOWN) return t("unknown");
    const key = normalizeLine(value);
    return lineText(key, labels.get(key));
  };
  const template = (name: string | null) => (!name || name === UNKNOWN ? t("unknown") : name);

  const dates = (timeZone: string) => {
    const format = new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone, timeZoneName: "short" });
    return { at: (iso: string) => format.format(new Date(iso)), range: (from: string, to: string) => format.formatRange(new Date(from), new Date(to)) };
  };

  /** "reason No line capacity (FAILURE_BY_TIER_CAPACITY), line Ventas CO (+57 …)": the scope of a rule's filter, for titles. */
  const scope = (filter: RuleFilter) => {
    const parts = [
      filter.reason && t("scopeReason", { reasons: join(split(filter.reason).map((r) => `${reasonLabel(r.toUpperCase())} (${r.toUpperCase()})`)) }),
      filter.class && t("scopeClass", { classes: join(split(filter.class).map((c) => (c in REASON_CLASS_LABELS ? classes(c) : c))) }),
      filter.line && t("scopeLine", { lines: join(ruleLines(filter.line).map(line)) }),
      filter.template && t("scopeTemplate", { templates: join(split(filter.template).map(template)) }),
    ].filter((p): p is string => Boolean(p));
    return parts.length ? join(parts) : t("allFailures");
  };

  const incidentKinds: Record<IncidentNotificationType, string> = {
    "incident.opened": t("incidentOpened"),
    "incident.regressed": t("incidentRegressed"),
    "incident.escalating": t("incidentEscalating"),
  };

  function describe(n: Notification): NotificationText {
    // Rows written before notifications carried a zone are shown in UTC.
    const when = dates(n.timeZone ?? "UTC");
    const facts: Fact[] = [];
    const base = { reasonLabel: null, lineLabel: null, digestLabels: [] as string[] };
    if (n.incident) {
      const i = n.incident;
      const label = reasonLabel(i.reason);
      const where = join([i.line && t("scopeLine", { lines: line(i.line) }), i.template && t("scopeTemplate", { templates: i.template })].filter((p): p is string => Boolean(p)));
      const what = t("incidentTitle", { kind: incidentKinds[n.type as IncidentNotificationType], reason: label, code: i.reason });
      facts.push(
        { title: t("factReason"), value: `${label} (${i.reason})` },
        { title: t("factLine"), value: line(i.line) },
        { title: t("factTemplate"), value: template(i.template) },
        { title: t("factCount"), value: number.format(i.count) },
        { title: t("factWhen"), value: when.at(n.occurredAt) },
      );
      return { ...base, title: where ? t("titleOn", { what, where }) : what, ...reasonText(i.reason), facts, reasonLabel: label, lineLabel: i.line ? (labels.get(normalizeLine(i.line)) ?? null) : null };
    }
    if (n.template) {
      const { name, status } = n.template;
      facts.push({ title: t("factTemplate"), value: name }, { title: t("factStatus"), value: status }, { title: t("factWhen"), value: when.at(n.occurredAt) });
      return {
        ...base,
        title: t("templateTitle", { template: name, status }),
        meaning: t("templateMeaning", { template: name, status }),
        action: status === "REJECTED" || status === "DISABLED" ? t("templateActionResubmit") : t("templateActionCheck"),
        facts,
      };
    }
    if (n.digest && n.window) {
      const d = n.digest;
      const digestLabels = d.byReason.map((r) => reasonLabel(r.reason));
      const top = d.byReason[0];
      const title = t("digestTitle", { total: d.total, open: d.openIncidents });
      facts.push({ title: t("factFailures24h"), value: number.format(d.total) }, { title: t("factOpenIncidents"), value: number.format(d.openIncidents) });
      d.byReason.slice(0, 5).forEach((r, i) => facts.push({ title: digestLabels[i]!, value: number.format(r.count) }));
      facts.push({ title: t("factWindow"), value: when.range(n.window.from, n.window.to) });
      return { ...base, title: top ? t("digestTop", { title, reason: digestLabels[0]!, count: top.count }) : title, ...reasonText(top?.reason), facts, digestLabels };
    }
    if (n.window) {
      const w = n.window;
      const filter = n.filter ?? {};
      const minutes = Math.round((Date.parse(w.to) - Date.parse(w.from)) / 60_000);
      const title = t("windowTitle", { count: w.count, minutes, scope: scope(filter) });
      const reasonsInFilter = split(filter.reason).map((r) => r.toUpperCase());
      if (reasonsInFilter.length) facts.push({ title: t("factReason"), value: join(reasonsInFilter.map((r) => `${reasonLabel(r)} (${r})`)) });
      if (filter.line) facts.push({ title: t("factLine"), value: join(ruleLines(filter.line).map(line)) });
      if (filter.template) facts.push({ title: t("factTemplate"), value: join(split(filter.template).map(template)) });
      facts.push({ title: t("factCount"), value: number.format(w.count) });
      if (w.previousCount !== null) facts.push({ title: t("factWeekEarlier"), value: number.format(w.previousCount) });
      facts.push({ title: t("factWindow"), value: when.range(w.from, w.to) });
      const withChange =
        w.previousCount === null
          ? title
          : w.previousCount === 0
            ? t("changeNone", { title })
            : t("changeRise", { title, previous: w.previousCount, rise: Math.round(((w.count - w.previousCount) / w.previousCount) * 100) / 100 });
      return { ...base, title: withChange, ...reasonText(reasonsInFilter.length === 1 ? reasonsInFilter[0] : undefined), facts };
    }
    facts.push({ title: t("factWhen"), value: when.at(n.occurredAt) });
    return { ...base, title: t("testTitle", { channel: channelName }), meaning: null, action: null, facts };
  }

  return {
    locale,
    describe,
    grouped: (count) => t("grouped", { count }),
    more: (count) => t("more", { count }),
    whatItMeans: t("whatItMeans"),
    whatToDo: t("whatToDo"),
    open: t("open"),
  };
}
