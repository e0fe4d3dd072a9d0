import { createHmac } from "node:crypto";
import { facts, type Notification } from "./notification";

/** One message as a channel receives it: a single notification, or several sent as one. */
export interface OutgoingMessage {
  /** The delivery id (or, for a grouped message, the group's id): the receiver's idempotency key. */
  id: string;
  notifications: Notification[];
}

const MAX_GROUPED_SHOWN = 20;

const headline = (m: OutgoingMessage) =>
  m.notifications.length === 1 ? m.notifications[0]!.title : `${m.notifications.length} Faultline notifications`;

/** Standard Webhooks body: the notification with its delivery id first. */
export function webhookBody(id: string, n: Notification): string {
  return JSON.stringify({ id, ...n });
}

/** Standard Webhooks headers: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the whsec_ key. */
export function signatureHeaders(secret: string, id: string, body: string, nowSeconds: number): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${nowSeconds}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(nowSeconds), "webhook-signature": `v1,${signature}` };
}

const truncate = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const explanation = (n: Notification) => [n.meaning && `*What it means:* ${n.meaning}`, n.action && `*What to do:* ${n.action}`].filter(Boolean).join("\n");

/** Slack incoming-webhook body: fallback text plus Block Kit (header, fields, a button to Faultline). */
export function slackBody(m: OutgoingMessage): string {
  const blocks: unknown[] = [{ type: "header", text: { type: "plain_text", text: truncate(headline(m), 150), emoji: false } }];
  for (const n of m.notifications.slice(0, MAX_GROUPED_SHOWN)) {
    if (m.notifications.length > 1) blocks.push({ type: "section", text: { type: "mrkdwn", text: truncate(`*${n.title}*`, 3000) } });
    const text = explanation(n);
    if (text) blocks.push({ type: "section", text: { type: "mrkdwn", text: truncate(text, 3000) } });
    const fields = facts(n).slice(0, 10);
    if (fields.length) blocks.push({ type: "section", fields: fields.map((f) => ({ type: "mrkdwn", text: truncate(`*${f.title}*\n${f.value}`, 2000) })) });
    blocks.push({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open in Faultline" }, url: n.url }] });
  }
  if (m.notifications.length > MAX_GROUPED_SHOWN) {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `…and ${m.notifications.length - MAX_GROUPED_SHOWN} more in Faultline.` }] });
  }
  const text = m.notifications.length === 1 ? headline(m) : `${headline(m)}: ${m.notifications.map((n) => n.title).join("; ")}`;
  return JSON.stringify({ text: truncate(text, 3000), blocks });
}

/** Teams Workflows body: one Adaptive Card attachment. */
export function teamsBody(m: OutgoingMessage): string {
  const body: unknown[] = [{ type: "TextBlock", size: "Large", weight: "Bolder", wrap: true, text: headline(m) }];
  const actions: unknown[] = [];
  for (const n of m.notifications.slice(0, MAX_GROUPED_SHOWN)) {
    if (m.notifications.length > 1) body.push({ type: "TextBlock", weight: "Bolder", wrap: true, separator: true, text: n.title });
    if (n.meaning) body.push({ type: "TextBlock", wrap: true, text: `What it means: ${n.meaning}` });
    if (n.action) body.push({ type: "TextBlock", wrap: true, text: `What to do: ${n.action}` });
    const f = facts(n);
    if (f.length) body.push({ type: "FactSet", facts: f });
    if (m.notifications.length > 1) body.push({ type: "ActionSet", actions: [{ type: "Action.OpenUrl", title: "Open in Faultline", url: n.url }] });
    else actions.push({ type: "Action.OpenUrl", title: "Open in Faultline", url: n.url });
  }
  if (m.notifications.length > MAX_GROUPED_SHOWN) body.push({ type: "TextBlock", wrap: true, text: `…and ${m.notifications.length - MAX_GROUPED_SHOWN} more in Faultline.` });
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

/** E-mail: the subject starts "[Faultline]" and names the reason and line/template; text and HTML parts. */
export function emailMessage(m: OutgoingMessage): { subject: string; text: string; html: string } {
  const subject = `[Faultline] ${truncate(headline(m), 180)}`;
  const text = m.notifications
    .map((n) =>
      [n.title, n.meaning && `What it means: ${n.meaning}`, n.action && `What to do: ${n.action}`, ...facts(n).map((f) => `${f.title}: ${f.value}`), `Open in Faultline: ${n.url}`]
        .filter(Boolean)
        .join("\n"),
    )
    .join("\n\n— — —\n\n");
  const html = m.notifications
    .map(
      (n) =>
        `<h2>${escapeHtml(n.title)}</h2>` +
        (n.meaning ? `<p><strong>What it means:</strong> ${escapeHtml(n.meaning)}</p>` : "") +
        (n.action ? `<p><strong>What to do:</strong> ${escapeHtml(n.action)}</p>` : "") +
        `<table>${facts(n)
          .map((f) => `<tr><th align="left">${escapeHtml(f.title)}</th><td>${escapeHtml(f.value)}</td></tr>`)
          .join("")}</table>` +
        `<p><a href="${escapeHtml(n.url)}">Open in Faultline</a></p>`,
    )
    .join("<hr>");
  return { subject: subject.replace(/[\r\n]+/g, " "), text, html: `<!doctype html><html><body>${html}</body></html>` };
}
