import fs from "node:fs";
import path from "node:path";
import { createTranslator } from "next-intl";
import { describe, expect, it } from "vitest";
import { NAV_LINKS } from "@/components/nav-links";
import { SERIES } from "@/lib/charts/shape";
import { LOCALES } from "@/lib/i18n/locales";
import { INCIDENT_STATUSES } from "@/lib/incidents/statuses";
import { FIELD_MAPPING_KEYS } from "@/lib/ingest/field-mapping-keys";
import { INCIDENT_ACTION_NAMES } from "@/lib/incidents/transitions";
import { AUDIT_ACTIONS } from "@/lib/auth/audit";
import { ROLES } from "@/lib/auth/roles";
import { REASONS } from "@/lib/reasons";
import { NOTIFICATION_TYPES } from "@/lib/alerts/notification";
import { CHANNEL_TYPES, TRIGGERS } from "@/lib/alerts/rule-schema";
import { RULE_WORD_KEYS } from "@/lib/alerts/describe-rule";

// Every message key exists in all three catalogues, every key the code asks for exists, no key
// goes unused, and every message is valid ICU in every language.
type Tree = { [key: string]: string | Tree };
const catalogues = Object.fromEntries(LOCALES.map((l) => [l, JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "messages", `${l}.json`), "utf8")) as Tree]));

function leaves(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(full, value);
    else for (const [k, v] of leaves(value, full)) out.set(k, v);
  }
  return out;
}
const keysOf = Object.fromEntries(LOCALES.map((l) => [l, leaves(catalogues[l]!)]));
const english = keysOf.en!;

/** Source files of the interface (pages, components, i18n config). */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "api" || entry.name === "node_modules" ? [] : sources(full);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [full] : [];
  });
}
const root = path.join(__dirname, "..", "..");
// lib/ too: alert messages and e-mails are written there, in their channel's language (translatorFor).
const files = [...sources(path.join(root, "app")), ...sources(path.join(root, "components")), ...sources(path.join(root, "lib"))];

/** Keys the code asks for literally (t("key") on a translator bound to a namespace), and namespaces addressed with computed keys. */
function usage() {
  const literal = new Set<string>();
  const dynamic = new Set<string>();
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    // A translator's calls run from its declaration to the next declaration of the same name.
    const declarations = [...text.matchAll(/const (\w+) = (?:await )?(?:useTranslations|getTranslations|translatorFor)\("([\w.]+)"[,)]/g)];
    declarations.forEach((d, i) => {
      const [, name, namespace] = d as unknown as [string, string, string];
      const end = declarations.slice(i + 1).find((next) => next[1] === name)?.index ?? text.length;
      const region = text.slice(d.index, end);
      for (const m of region.matchAll(new RegExp(`\\b${name}(?:\\.rich)?\\(\\s*("([^"]+)"|[^)"\\s])`, "g"))) {
        if (m[2] !== undefined) literal.add(`${namespace}.${m[2]}`);
        else dynamic.add(namespace);
      }
    });
  }
  return { literal, dynamic };
}

/** Namespaces addressed with computed keys, and the keys the code can compute for each. */
const COMPUTED: Record<string, string[]> = {
  reasonCatalogue: REASONS.flatMap((r) => ["label", "meaning", "action", "retry"].map((k) => `${r.code}.${k}`)),
  reasonClasses: [...SERIES],
  incidentStatus: [...INCIDENT_STATUSES],
  incidentActions: [...INCIDENT_ACTION_NAMES, "assign"],
  roles: [...ROLES],
  roleDescriptions: [...ROLES],
  nav: NAV_LINKS.map((l) => l.key),
  incidentTabs: ["attention", "acknowledged", "snoozed", "resolved", "ignored", "mine"],
  contactLists: ["retry", "suppress", "retryWhy", "suppressWhy", "retryUncounted", "suppressUncounted"],
  activity: ["acknowledged", "resolved", "reopened", "snoozed", "unsnoozed", "ignored", "regressed", "auto_resolved", "assigned", "unassigned", "commented", "escalating", "escalation_ended"],
  table: ["failures", "incidents"],
  auditActions: Object.keys(AUDIT_ACTIONS),
  mappedFields: [...FIELD_MAPPING_KEYS],
  alertChannelTypes: [...CHANNEL_TYPES],
  alertTriggers: [...TRIGGERS],
  alertRuleWords: [...RULE_WORD_KEYS],
  deliveryStatus: ["pending", "delivered", "failed", "held"],
  notificationTypes: NOTIFICATION_TYPES.map((t) => t.replace(".", "_")),
  planStatus: ["draft", "sending", "paused", "done", "failed", "cancelled"],
  loadable: ["overview", "timeline", "statusHistory", "counts", "incident", "incidents", "failure", "failures", "trend", "plan", "closedSessions", "templateStatuses", "deliveries", "alerts", "page"],
};

describe("message catalogues", () => {
  it("have exactly the same keys in English, Spanish and Brazilian Portuguese", () => {
    for (const locale of LOCALES) {
      const keys = keysOf[locale]!;
      expect([...english.keys()].filter((k) => !keys.has(k)), `missing in ${locale}`).toEqual([]);
      expect([...keys.keys()].filter((k) => !english.has(k)), `only in ${locale}`).toEqual([]);
    }
  });

  it("hold every key the code asks for, and no key the code never uses", () => {
    const { literal, dynamic } = usage();
    expect([...literal].filter((k) => !english.has(k)), "asked for but missing").toEqual([]);
    const computed = new Set(Object.entries(COMPUTED).flatMap(([ns, keys]) => (dynamic.has(ns) ? keys.map((k) => `${ns}.${k}`) : [])));
    expect([...computed].filter((k) => !english.has(k)), "computed but missing").toEqual([]);
    expect([...english.keys()].filter((k) => !literal.has(k) && !computed.has(k)), "never used").toEqual([]);
  });

  it("are valid ICU messages that format in every language", () => {
    for (const locale of LOCALES) {
      const errors: string[] = [];
      const t = createTranslator({ locale, messages: catalogues[locale]!, onError: (e) => errors.push(`${locale}: ${e.message}`) });
      for (const [key, message] of keysOf[locale]!) {
        const values: Record<string, unknown> = {};
        for (const m of message.matchAll(/\{\s*(\w+)\s*(?:,\s*(\w+))?/g)) values[m[1]!] = m[2] === "select" ? "other" : m[2] === "plural" || m[2] === "number" ? 2 : "x";
        for (const m of message.matchAll(/<(\w+)>/g)) values[m[1]!] = (chunks: unknown) => chunks;
        t.rich(key as never, values as never);
      }
      expect(errors).toEqual([]);
    }
  });

  it("use Treble's words in Spanish and Portuguese", () => {
    expect(catalogues.es!.filters).toMatchObject({ line: "Línea", template: "Plantilla" });
    expect(catalogues["pt-BR"]!.filters).toMatchObject({ line: "Linha", template: "Template" });
    expect(keysOf.es!.get("reasonCatalogue.REVOKED.label")).toMatch(/despliegue/i);
    expect(keysOf["pt-BR"]!.get("reasonCatalogue.REVOKED.label")).toMatch(/envio/i);
  });
});
