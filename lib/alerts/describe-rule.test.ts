import { describe, expect, it } from "vitest";
import { UNKNOWN } from "@/lib/filters";
import { translatorFor } from "@/lib/i18n/translator";
import type { Locale } from "@/lib/i18n/locales";
import type { ReasonClass } from "@/lib/reasons";
import { describeRule, describeRuleFilter, type RuleWords } from "./describe-rule";
import type { Trigger } from "./rule-schema";

// The rules table's words for a rule, from the real catalogues of each language: reasons under the
// labels the interface shows, lines under their label with the number formatted, whatever way the
// number was typed.
const labels = new Map([["+573104567890", "Ventas CO"]]);

function wordsIn(locale: Locale): RuleWords {
  const word = translatorFor("alertRuleWords", locale);
  const trigger = translatorFor("alertTriggers", locale);
  const reasons = translatorFor("reasonCatalogue", locale);
  const classes = translatorFor("reasonClasses", locale);
  return {
    word: (key, values) => word(key, values),
    trigger: (t: Trigger) => trigger(t),
    reasonLabel: (code) => reasons(`${code}.label`),
    reasonClass: (c: ReasonClass) => classes(c),
    lineLabels: labels,
  };
}
const en = wordsIn("en");
const es = wordsIn("es");

/** Intl separates some parts with no-break spaces; compare them as plain spaces. */
const plain = (s: string) => s.replace(/[^\S\n]/g, " ");

describe("a rule's filter in words", () => {
  const filter = { reason: "INVALID_PHONE,failure_by_rate_limit", line: "+57 310 456 7890" };

  it("names reasons by their labels and lines by label and formatted number, in English", () => {
    expect(describeRuleFilter(filter, en)).toBe("Reason: Invalid phone, WhatsApp rate limit · Line: Ventas CO (+57 310 456 7890)");
  });

  it("and in Spanish", () => {
    expect(describeRuleFilter(filter, es)).toBe("Motivo: Teléfono inválido, Límite de envío de WhatsApp · Línea: Ventas CO (+57 310 456 7890)");
  });

  it("covers classes, templates, unknown lines and templates, unlabelled numbers and unrecognised reasons", () => {
    const every = { reason: "FAILURE_BY_SOMETHING_NEW", class: "retry_later,do_not_contact", line: `573104567890,+5511987654321,${UNKNOWN},Ventas`, template: `bienvenida_v2,${UNKNOWN}` };
    expect(describeRuleFilter(every, en)).toBe(
      "Reason: FAILURE_BY_SOMETHING_NEW (unrecognised) · Class: Retry later, Do not contact · Line: Ventas CO (+57 310 456 7890), +55 11 98765 4321, unknown, Ventas · Template: bienvenida_v2, unknown",
    );
    expect(describeRuleFilter(every, es)).toBe(
      "Motivo: FAILURE_BY_SOMETHING_NEW (no reconocido) · Clase: Reintentar más tarde, No contactar · Línea: Ventas CO (+57 310 456 7890), +55 11 98765 4321, desconocida, Ventas · Plantilla: bienvenida_v2, desconocida",
    );
    expect(describeRuleFilter({}, es)).toBe("");
  });
});

describe("a rule in words", () => {
  it("threshold and change: the trigger, its numbers in the locale's format, its filter", () => {
    const threshold = { trigger: "threshold" as const, filter: { reason: "FAILURE_BY_RATE_LIMIT" }, threshold: { count: 1500, windowMinutes: 15 } };
    expect(plain(describeRule(threshold, en))).toBe("Failures reach a threshold — ≥ 1,500 in 15 min — Reason: WhatsApp rate limit");
    expect(plain(describeRule(threshold, es))).toBe("Los fallos llegan a un umbral — ≥ 1500 en 15 min — Motivo: Límite de envío de WhatsApp");
    const change = { trigger: "change" as const, filter: {}, change: { percent: 50, windowMinutes: 60, minCount: 20 } };
    expect(plain(describeRule(change, es))).toBe(`${es.trigger("change")} — +50 % frente a la semana pasada en 60 min (≥ 20)`);
  });

  it("template statuses in words (others as sent), a digest's time and time zone, a rule on every failure", () => {
    const statuses = { trigger: "template_status" as const, filter: { template: "promo_nov" }, templateStatuses: ["PAUSED", "DISABLED", "IN_APPEAL"] };
    expect(describeRule(statuses, en)).toBe("A template changes status (hsm.status) — Status: paused, disabled, IN_APPEAL — Template: promo_nov");
    expect(describeRule(statuses, es)).toBe(`${es.trigger("template_status")} — Estado: pausada, desactivada, IN_APPEAL — Plantilla: promo_nov`);
    const digest = { trigger: "digest" as const, filter: {}, digest: { time: "08:00", tz: "America/Bogota" } };
    expect(describeRule(digest, en)).toBe("Daily digest — at 08:00 · Time zone: America/Bogota");
    expect(describeRule(digest, es)).toBe(`${es.trigger("digest")} — a las 08:00 · Zona horaria: America/Bogota`);
    expect(describeRule({ trigger: "incident_opened", filter: {} }, en)).toBe("A new incident opens");
  });
});
