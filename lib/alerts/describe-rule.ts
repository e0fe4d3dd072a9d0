import { UNKNOWN } from "@/lib/filters";
import type { LineLabelMap } from "@/lib/lines/labels";
import { lineText } from "@/lib/phone-format";
import { REASON_CLASSES, reasonInfo, type ReasonClass } from "@/lib/reasons";
import { ruleLines, type RuleDefinition, type Trigger } from "./rule-schema";

/**
 * A rule described in words for the Settings → Alerts table, instead of its filter's machine syntax
 * (`reason=INVALID_PHONE line=+573104567890`). Pure: the words come in as translators, so the same
 * function serves the page (next-intl hooks) and the tests (any locale's catalogue).
 */

/** Template statuses of hsm.status with words in the catalogues; any other shows as sent. */
export const WORDED_TEMPLATE_STATUSES = ["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED", "FLAGGED"] as const;
type WordedTemplateStatus = (typeof WORDED_TEMPLATE_STATUSES)[number];

/** Every key of the `alertRuleWords` catalogue namespace (computed keys: listed for the catalogue test). */
export const RULE_WORD_KEYS = [
  "threshold",
  "change",
  "digestAt",
  "timeZone",
  "reason",
  "class",
  "line",
  "template",
  "statuses",
  "unknown",
  "unrecognisedReason",
  ...WORDED_TEMPLATE_STATUSES.map((s) => `templateStatus.${s}` as const),
];
export type RuleWordKey = (typeof RULE_WORD_KEYS)[number];

export interface RuleWords {
  /** The `alertRuleWords` catalogue. */
  word: (key: RuleWordKey, values?: Record<string, string | number>) => string;
  /** The `alertTriggers` catalogue. */
  trigger: (trigger: Trigger) => string;
  /** A known reason's label as the interface shows it (`reasonCatalogue`). */
  reasonLabel: (code: string) => string;
  /** The `reasonClasses` catalogue. */
  reasonClass: (reasonClass: ReasonClass) => string;
  lineLabels: LineLabelMap;
}

/** What the words need of a rule: its trigger and filter, and the parameters its trigger has. */
export type DescribedRule = Pick<RuleDefinition, "trigger" | "filter"> & Partial<Pick<RuleDefinition, "threshold" | "change" | "templateStatuses" | "digest">>;

const list = (v: string | undefined) => (v ? [...new Set(v.split(",").map((s) => s.trim()).filter(Boolean))] : []);
/** Values of one filter are alternatives, listed with commas in every language (as in alert messages). */
const alternatives = (values: string[]) => values.join(", ");
const PART_SEPARATOR = " · ";
const isWorded = (status: string): status is WordedTemplateStatus => (WORDED_TEMPLATE_STATUSES as readonly string[]).includes(status);
const isReasonClass = (value: string): value is ReasonClass => (REASON_CLASSES as readonly string[]).includes(value);

/** "Reason: Invalid phone, WhatsApp rate limit · Line: Ventas CO (+57 310 456 7890)"; "" for a rule on every failure. */
export function describeRuleFilter(filter: DescribedRule["filter"], w: RuleWords): string {
  const reasons = list(filter.reason).map((r) => {
    const code = r.toUpperCase();
    return reasonInfo(code) ? w.reasonLabel(code) : w.word("unrecognisedReason", { reason: r });
  });
  const classes = list(filter.class).map((c) => (isReasonClass(c) ? w.reasonClass(c) : c));
  const lines = ruleLines(filter.line).map((l) => (l === UNKNOWN ? w.word("unknown") : lineText(l, w.lineLabels.get(l))));
  const templates = list(filter.template).map((t) => (t === UNKNOWN ? w.word("unknown") : t));
  return [
    reasons.length && w.word("reason", { values: alternatives(reasons) }),
    classes.length && w.word("class", { values: alternatives(classes) }),
    lines.length && w.word("line", { values: alternatives(lines) }),
    templates.length && w.word("template", { values: alternatives(templates) }),
  ]
    .filter((p): p is string => Boolean(p))
    .join(PART_SEPARATOR);
}

/** What the trigger waits for, in words: its threshold, its rise, its statuses or its time of day. */
function describeParameters(rule: DescribedRule, w: RuleWords): string {
  if (rule.trigger === "threshold" && rule.threshold) return w.word("threshold", { count: rule.threshold.count, minutes: rule.threshold.windowMinutes });
  if (rule.trigger === "change" && rule.change) return w.word("change", { percent: rule.change.percent, minutes: rule.change.windowMinutes, minCount: rule.change.minCount });
  if (rule.trigger === "template_status") {
    const statuses = (rule.templateStatuses ?? []).map((s) => (isWorded(s) ? w.word(`templateStatus.${s}`) : s));
    return w.word("statuses", { values: alternatives(statuses) });
  }
  if (rule.trigger === "digest" && rule.digest) return [w.word("digestAt", { time: rule.digest.time }), w.word("timeZone", { tz: rule.digest.tz })].join(PART_SEPARATOR);
  return "";
}

/** A rule in one line: "Failures reach a threshold — ≥ 50 in 15 min — Reason: WhatsApp rate limit". */
export function describeRule(rule: DescribedRule, w: RuleWords): string {
  return [w.trigger(rule.trigger), describeParameters(rule, w), describeRuleFilter(rule.filter, w)].filter(Boolean).join(" — ");
}
