import http from "node:http";
import https from "node:https";
import nodemailer, { type Transporter } from "nodemailer";
import { getSettings } from "@/lib/config";
import { DEFAULT_LOCALE, isLocale } from "@/lib/i18n/locales";
import { lineLabels } from "@/lib/lines/labels";
import { alertWriter, type AlertWriter } from "./message-text";
import { emailMessage, signatureHeaders, slackBody, teamsBody, webhookBody, type OutgoingMessage } from "./render";
import { parseRetryAfter } from "./schedule";
import type { ChannelType } from "./rule-schema";

/** A channel as the sender needs it. */
export interface ChannelTarget {
  id: number;
  name: string;
  type: ChannelType;
  url: string | null;
  recipients: string | null;
  secret: string | null;
  /** The language its messages are written in. */
  locale: string;
}

export type SendResult =
  | { ok: true; status: number }
  | {
      ok: false;
      /** The receiver's status (HTTP or SMTP reply code), null when none came back. */
      status: number | null;
      error: string;
      /** Network errors, timeouts, 5xx, 408 and 429 are worth retrying; other refusals are not. */
      retryable: boolean;
      retryAfterMs: number | null;
      /** 410 Gone: the receiver no longer exists; the channel is disabled. */
      gone: boolean;
    };

export const SEND_TIMEOUT_MS = 10_000;

// Keep-alive agents: a burst of notifications to one receiver reuses its connections.
const agents = { "http:": new http.Agent({ keepAlive: true, maxSockets: 4 }), "https:": new https.Agent({ keepAlive: true, maxSockets: 4 }) };
/** Only the start of a refusal is kept (quoted in the delivery log). */
const MAX_ERROR_BODY_BYTES = 4096;

/**
 * One POST with node:http(s) — cheaper per request than fetch on the server's thread. The whole
 * exchange (connect, send, answer) must finish within SEND_TIMEOUT_MS.
 */
function post(url: string, body: string, headers: Record<string, string>, now: number): Promise<SendResult> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const transport = target.protocol === "https:" ? https : http;
    let settled = false;
    const done = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const networkError = (reason: string): SendResult => ({ ok: false, status: null, error: `network error: ${reason}`, retryable: true, retryAfterMs: null, gone: false });
    const request = transport.request(
      target,
      {
        method: "POST",
        agent: agents[target.protocol as keyof typeof agents],
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "Faultline-Alerts/1", ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          if (size < MAX_ERROR_BODY_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on("error", (err) => done(networkError(err.message)));
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return done({ ok: true, status });
          const text = Buffer.concat(chunks).toString("utf8").slice(0, 200);
          const retryable = status >= 500 || status === 408 || status === 429;
          const retryAfter = response.headers["retry-after"];
          done({
            ok: false,
            status,
            error: `HTTP ${status}${text ? `: ${text}` : ""}`,
            retryable,
            retryAfterMs: retryable ? parseRetryAfter(typeof retryAfter === "string" ? retryAfter : null, now) : null,
            gone: status === 410,
          });
        });
      },
    );
    const timer = setTimeout(() => {
      done(networkError(`timed out after ${SEND_TIMEOUT_MS / 1000} s`));
      request.destroy();
    }, SEND_TIMEOUT_MS);
    request.on("error", (err: NodeJS.ErrnoException) => done(networkError(err.code ?? err.message)));
    request.end(body);
  });
}

let mailer: { url: string; transporter: Transporter } | undefined;

function transporter(url: string): Transporter {
  if (mailer?.url !== url) {
    mailer?.transporter.close();
    mailer = {
      url,
      transporter: nodemailer.createTransport(url, {
        connectionTimeout: SEND_TIMEOUT_MS,
        greetingTimeout: SEND_TIMEOUT_MS,
        socketTimeout: SEND_TIMEOUT_MS,
      } as never),
    };
  }
  return mailer.transporter;
}

async function sendEmail(recipients: string[], message: OutgoingMessage, writer: AlertWriter): Promise<SendResult> {
  const { SMTP_URL, ALERTS_FROM } = getSettings();
  if (!SMTP_URL) return { ok: false, status: null, error: "SMTP_URL is not set", retryable: true, retryAfterMs: null, gone: false };
  const { subject, text, html, language } = emailMessage(message, writer);
  try {
    const info = (await transporter(SMTP_URL).sendMail({
      from: ALERTS_FROM,
      to: recipients,
      subject,
      text,
      html,
      messageId: `<${message.id}@faultline>`,
      headers: { "X-Faultline-Delivery": message.id, "Content-Language": language },
    })) as { response?: string };
    const code = Number(/^(\d{3})/.exec(info.response ?? "")?.[1] ?? 250);
    return { ok: true, status: code };
  } catch (err) {
    const e = err as Error & { responseCode?: number; code?: string };
    // A 5xx reply is a permanent refusal; 4xx replies and connection problems are transient.
    const permanent = e.responseCode !== undefined && e.responseCode >= 500;
    return { ok: false, status: e.responseCode ?? null, error: `SMTP: ${e.message}`, retryable: !permanent, retryAfterMs: null, gone: false };
  }
}

/** Sends one message to a channel, written in the channel's language with the current line labels; never throws. */
export async function sendMessage(channel: ChannelTarget, message: OutgoingMessage, now = Date.now()): Promise<SendResult> {
  const writer = alertWriter(isLocale(channel.locale) ? channel.locale : DEFAULT_LOCALE, channel.name, await lineLabels());
  switch (channel.type) {
    case "webhook": {
      // Webhook channels receive one notification per message (grouping is for people).
      const body = webhookBody(message.id, message.notifications[0]!, writer);
      return post(channel.url!, body, signatureHeaders(channel.secret!, message.id, body, Math.floor(now / 1000)), now);
    }
    case "slack":
      return post(channel.url!, slackBody(message, writer), {}, now);
    case "teams":
      return post(channel.url!, teamsBody(message, writer), {}, now);
    case "email":
      return sendEmail(JSON.parse(channel.recipients ?? "[]") as string[], message, writer);
  }
}
