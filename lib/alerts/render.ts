import { createHmac } from "node:crypto";
import type { AlertWriter, NotificationText } from "./message-text";
import type { Notification } from "./notification";

/** One message as a channel receives it: a single notification, or several sent as one. */
export interface OutgoingMessage {
  /** The delivery id (or, for a grouped message, the group's id): the receiver's idempotency key. */
  id: string;
  notifications: Notification[];
}

const MAX_GROUPED_SHOWN = 20;

/** Each notification with its words, in the channel's language. */
const described = (m: OutgoingMessage, w: AlertWriter) => m.notifications.map((n) => ({ n, text: w.describe(n) }));
type Described = ReturnType<typeof described>;

const headline = (items: Described, w: AlertWriter) => (items.length === 1 ? items[0]!.text.title : w.grouped(items.length));

/**
 * Standard Webhooks body: the delivery id, the notification's facts (codes, ids and statuses as
 * stored, stable for machines) and its words in the channel's language (`locale`).
 */
export function webhookBody(id: string, n: Notification, w: AlertWriter): string {
  const text = w.describe(n);
  return JSON.stringify({
    id,
    ...n,
    locale: w.locale,
    title: text.title,
    meaning: text.meaning,
    action: text.action,
    ...(n.incident && { incident: { ...n.incident, reasonLabel: text.reasonLabel, lineLabel: text.lineLabel } }),
    ...(n.digest && { digest: { ...n.digest, byReason: n.digest.byReason.map((r, i) => ({ reason: r.reason, label: text.digestLabels[i], count: r.count })) } }),
  });
}

/** Standard Webhooks headers: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the whsec_ key. */
export function signatureHeaders(secret: string, id: string, body: string, nowSeconds: number): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${nowSeconds}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(nowSeconds), "webhook-signature": `v1,${signature}` };
}

const truncate = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const explanation = (t: NotificationText, w: AlertWriter) => [t.meaning && `*${w.whatItMeans}:* ${t.meaning}`, t.action && `*${w.whatToDo}:* ${t.action}`].filter(Boolean).join("\n");

/** Slack incoming-webhook body: fallback text plus Block Kit (header, fields, a button to Faultline). */
export function slackBody(m: OutgoingMessage, w: AlertWriter): string {
  const items = described(m, w);
  const blocks: unknown[] = [{ type: "header", text: { type: "plain_text", text: truncate(headline(items, w), 150), emoji: false } }];
  for (const { n, text: t } of items.slice(0, MAX_GROUPED_SHOWN)) {
    if (items.length > 1) blocks.push({ type: "section", text: { type: "mrkdwn", text: truncate(`*${t.title}*`, 3000) } });
    const text = explanation(t, w);
    if (text) blocks.push({ type: "section", text: { type: "mrkdwn", text: truncate(text, 3000) } });
    const fields = t.facts.slice(0, 10);
    if (fields.length) blocks.push({ type: "section", fields: fields.map((f) => ({ type: "mrkdwn", text: truncate(`*${f.title}*\n${f.value}`, 2000) })) });
    blocks.push({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: w.open }, url: n.url }] });
  }
  if (items.length > MAX_GROUPED_SHOWN) {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: w.more(items.length - MAX_GROUPED_SHOWN) }] });
  }
  const text = items.length === 1 ? headline(items, w) : `${headline(items, w)}: ${items.map((i) => i.text.title).join("; ")}`;
  return JSON.stringify({ text: truncate(text, 3000), blocks });
}

/** Teams Workflows body: one Adaptive Card attachment. */
export function teamsBody(m: OutgoingMessage, w: AlertWriter): string {
  const items = described(m, w);
  const body: unknown[] = [{ type: "TextBlock", size: "Large", weight: "Bolder", wrap: true, text: headline(items, w) }];
  const actions: unknown[] = [];
  for (const { n, text: t } of items.slice(0, MAX_GROUPED_SHOWN)) {
    if (items.length > 1) body.push({ type: "TextBlock", weight: "Bolder", wrap: true, separator: true, text: t.title });
    if (t.meaning) body.push({ type: "TextBlock", wrap: true, text: `${w.whatItMeans}: ${t.meaning}` });
    if (t.action) body.push({ type: "TextBlock", wrap: true, text: `${w.whatToDo}: ${t.action}` });
    if (t.facts.length) body.push({ type: "FactSet", facts: t.facts });
    const open = { type: "Action.OpenUrl", title: w.open, url: n.url };
    if (items.length > 1) body.push({ type: "ActionSet", actions: [open] });
    else actions.push(open);
  }
  if (items.length > MAX_GROUPED_SHOWN) body.push({ type: "TextBlock", wrap: true, text: w.more(items.length - MAX_GROUPED_SHOWN) });
  return JSON.stringify({
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: { $schema: "http://adaptivecards.io/schemas/adaptive-card.json", type: "AdaptiveCard", version: "1.4", body, actions },
      },
    ],
  });
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** E-mail: the subject starts "[Faultline]" and names the reason and line/template; text and HTML parts, in the channel's language. */
export function emailMessage(m: OutgoingMessage, w: AlertWriter): { subject: string; text: string; html: string; language: string } {
  const items = described(m, w);
  const subject = `[Faultline] ${truncate(headline(items, w), 180)}`;
  const text = items
    .map(({ n, text: t }) =>
      [t.title, t.meaning && `${w.whatItMeans}: ${t.meaning}`, t.action && `${w.whatToDo}: ${t.action}`, ...t.facts.map((f) => `${f.title}: ${f.value}`), `${w.open}: ${n.url}`]
        .filter(Boolean)
        .join("\n"),
    )
    .join("\n\n— — —\n\n");
  const html = items
    .map(
      ({ n, text: t }) =>
        `<h2>${escapeHtml(t.title)}</h2>` +
        (t.meaning ? `<p><strong>${escapeHtml(w.whatItMeans)}:</strong> ${escapeHtml(t.meaning)}</p>` : "") +
        (t.action ? `<p><strong>${escapeHtml(w.whatToDo)}:</strong> ${escapeHtml(t.action)}</p>` : "") +
        `<table>${t.facts.map((f) => `<tr><th align="left">${escapeHtml(f.title)}</th><td>${escapeHtml(f.value)}</td></tr>`).join("")}</table>` +
        `<p><a href="${escapeHtml(n.url)}">${escapeHtml(w.open)}</a></p>`,
    )
    .join("<hr>");
  return {
    subject: subject.replace(/[\r\n]+/g, " "),
    text,
    html: `<!doctype html><html lang="${w.locale}"><body>${html}</body></html>`,
    language: w.locale,
  };
}
