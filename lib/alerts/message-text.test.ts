import { describe, expect, it } from "vitest";
import es from "@/messages/es.json";
import ptBR from "@/messages/pt-BR.json";
import { alertWriter } from "./message-text";
import type { Notification } from "./notification";
import { emailMessage, slackBody, teamsBody, webhookBody } from "./render";

// Alert messages written in a channel's language by the real renderer: the catalogues' words,
// the named line with its number formatted, numbers in the locale's format and dates in the
// rule's zone with the zone shown — while codes, ids and statuses stay as stored.
const labels = new Map([["+573104567890", "Ventas CO"]]);
const URL = "https://faultline.example.com/incidents/42";

const incident: Notification = {
  type: "incident.opened",
  occurredAt: "2026-12-02T15:04:00.000Z",
  rule: { id: 7, name: "Capacidad" },
  timeZone: "America/Bogota",
  url: URL,
  incident: { id: 42, reason: "FAILURE_BY_TIER_CAPACITY", reasonClass: "retry_later", line: "+573104567890", template: "bienvenida_v2", status: "open", count: 12345, url: URL },
};

const threshold: Notification = {
  type: "threshold.exceeded",
  occurredAt: "2026-12-02T15:04:00.000Z",
  rule: { id: 8, name: "Límite" },
  timeZone: "America/Sao_Paulo",
  url: "https://faultline.example.com/failures",
  window: { from: "2026-12-02T14:49:00.000Z", to: "2026-12-02T15:04:00.000Z", count: 1500, previousCount: 600 },
  filter: { reason: "FAILURE_BY_TIER_CAPACITY", line: "+573104567890,+5511987654321" },
};

/** Intl separates some parts with no-break or thin spaces; compare them as plain spaces. */
const plain = (s: string) => s.replace(/[^\S\n]/g, " ");
const tier = { es: es.reasonCatalogue.FAILURE_BY_TIER_CAPACITY, "pt-BR": ptBR.reasonCatalogue.FAILURE_BY_TIER_CAPACITY };

describe("alert messages in the channel's language", () => {
  it("e-mail in Spanish: translated subject, text and HTML, the named line, the formatted phone, the zone", () => {
    const mail = emailMessage({ id: "msg_1", notifications: [incident] }, alertWriter("es", "Operaciones", labels));
    expect(mail.subject).toBe(`[Faultline] Nuevo incidente: ${tier.es.label} (FAILURE_BY_TIER_CAPACITY) en línea Ventas CO (+57 310 456 7890), plantilla bienvenida_v2`);
    expect(mail.text).toContain(`Qué significa: ${tier.es.meaning}`);
    expect(mail.text).toContain(`Qué hacer: ${tier.es.action}`);
    expect(mail.text).toContain("Línea: Ventas CO (+57 310 456 7890)");
    expect(mail.text).toContain("Cantidad: 12.345");
    expect(plain(mail.text)).toContain("Cuándo: 2 dic 2026, 10:04 GMT-5");
    expect(mail.text).toContain(`Abrir en Faultline: ${URL}`);
    expect(mail.html).toContain('<html lang="es">');
    expect(mail.html).toContain("<strong>Qué significa:</strong>");
    expect(mail.html).toContain("<th align=\"left\">Línea</th><td>Ventas CO (+57 310 456 7890)</td>");
    expect(mail.text).not.toMatch(/What it means|Open in Faultline|Line:/);
  });

  it("signed webhook in Spanish: human fields translated, machine fields untouched", () => {
    const body = JSON.parse(webhookBody("msg_2", incident, alertWriter("es", "Operaciones", labels))) as Record<string, unknown> & { incident: Record<string, unknown> };
    expect(body).toMatchObject({ id: "msg_2", type: "incident.opened", locale: "es", occurredAt: incident.occurredAt, timeZone: "America/Bogota", rule: { id: 7, name: "Capacidad" }, url: URL });
    expect(body.title).toMatch(/^Nuevo incidente: /);
    expect(body.meaning).toBe(tier.es.meaning);
    expect(body.incident).toEqual({ ...incident.incident, reasonLabel: tier.es.label, lineLabel: "Ventas CO" });
  });

  it("Slack and Teams in Brazilian Portuguese: a threshold with its rise, every line named or formatted, the window in São Paulo time", () => {
    const writer = alertWriter("pt-BR", "Operações", labels);
    const slack = JSON.parse(slackBody({ id: "msg_3", notifications: [threshold] }, writer)) as { text: string; blocks: Array<{ type: string; fields?: Array<{ text: string }>; elements?: Array<{ text: { text: string } }> }> };
    expect(slack.text).toBe(
      `1.500 falhas nos últimos 15 min para motivo ${tier["pt-BR"].label} (FAILURE_BY_TIER_CAPACITY), linha Ventas CO (+57 310 456 7890), +55 11 98765 4321 (600 no mesmo horário da semana passada, 150% a mais)`,
    );
    const fields = slack.blocks.flatMap((b) => b.fields ?? []).map((f) => plain(f.text));
    expect(fields).toContain("*Linha*\nVentas CO (+57 310 456 7890), +55 11 98765 4321");
    expect(fields).toContain("*Quantidade*\n1.500");
    expect(fields).toContain("*Uma semana antes*\n600");
    expect(fields).toContain("*Janela*\n2 de dez. de 2026 11:49 – 12:04 BRT");
    expect(slack.blocks.find((b) => b.type === "actions")!.elements![0]!.text.text).toBe("Abrir no Faultline");

    const card = JSON.parse(teamsBody({ id: "grp_1", notifications: [incident, threshold] }, writer)) as { attachments: Array<{ content: { body: Array<{ type: string; text?: string; facts?: Array<{ title: string; value: string }> }> } }> };
    const blocks = card.attachments[0]!.content.body;
    expect(blocks[0]!.text).toBe("2 notificações do Faultline");
    expect(blocks.some((b) => b.text === `O que significa: ${tier["pt-BR"].meaning}`)).toBe(true);
    expect(blocks.find((b) => b.type === "FactSet")!.facts!.map((f) => ({ ...f, value: plain(f.value) }))).toContainEqual({ title: "Quando", value: "2 de dez. de 2026, 10:04 GMT-5" });
  });

  it("a filter line written as typed (spaces, no +) is still named by its label", () => {
    const typed: Notification = { ...threshold, filter: { reason: "FAILURE_BY_TIER_CAPACITY", line: "+57 310 456 7890, 573104567890" } };
    const text = alertWriter("es", "Operaciones", labels).describe(typed);
    expect(text.facts).toContainEqual({ title: "Línea", value: "Ventas CO (+57 310 456 7890)" });
    expect(text.title).toContain("línea Ventas CO (+57 310 456 7890) (600");
  });

  it("unlabelled and unknown lines, a test message, and the same notification in English", () => {
    const unknown: Notification = { ...incident, incident: { ...incident.incident!, line: null, template: null } };
    expect(alertWriter("es", "Operaciones", new Map()).describe(unknown).facts).toContainEqual({ title: "Línea", value: "(desconocida)" });
    expect(alertWriter("pt-BR", "Ops", new Map()).describe(incident).facts).toContainEqual({ title: "Linha", value: "+57 310 456 7890" });
    const test: Notification = { type: "test", occurredAt: incident.occurredAt, rule: null, timeZone: "UTC", url: "https://faultline.example.com/settings/alerts" };
    expect(alertWriter("es", "#ventas", labels).describe(test)).toMatchObject({ title: "Notificación de prueba de Faultline para #ventas", facts: [{ title: "Cuándo", value: "2 dic 2026, 15:04 UTC" }] });
    expect(alertWriter("en", "Ops", labels).describe(incident).title).toBe("New incident: No line capacity (FAILURE_BY_TIER_CAPACITY) on line Ventas CO (+57 310 456 7890), template bienvenida_v2");
  });
});
