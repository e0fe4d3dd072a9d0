import nodemailer, { type Transporter } from "nodemailer";
import { getSettings } from "@/lib/config";
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

async function post(url: string, body: string, headers: Record<string, string>, now: number): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "Faultline-Alerts/1", ...headers },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const reason = e.name === "TimeoutError" ? `timed out after ${SEND_TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.message);
    return { ok: false, status: null, error: `network error: ${reason}`, retryable: true, retryAfterMs: null, gone: false };
  }
  // The body is read (and capped) only to free the connection and quote the receiver's complaint.
  const text = await response.text().catch(() => "");
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, status };
  const retryable = status >= 500 || status === 408 || status === 429;
  return {
    ok: false,
    status,
    error: `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`,
    retryable,
    retryAfterMs: retryable ? parseRetryAfter(response.headers.get("retry-after"), now) : null,
    gone: status === 410,
  };
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

async function sendEmail(recipients: string[], message: OutgoingMessage): Promise<SendResult> {
  const { SMTP_URL, ALERTS_FROM } = getSettings();
  if (!SMTP_URL) return { ok: false, status: null, error: "SMTP_URL is not set", retryable: true, retryAfterMs: null, gone: false };
  const { subject, text, html } = emailMessage(message);
  try {
    const info = (await transporter(SMTP_URL).sendMail({
      from: ALERTS_FROM,
      to: recipients,
      subject,
      text,
      html,
      messageId: `<${message.id}@faultline>`,
      headers: { "X-Faultline-Delivery": message.id },
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

/** Sends one message to a channel; never throws. */
export async function sendMessage(channel: ChannelTarget, message: OutgoingMessage, now = Date.now()): Promise<SendResult> {
  switch (channel.type) {
    case "webhook": {
      // Webhook channels receive one notification per message (grouping is for people).
      const body = webhookBody(message.id, message.notifications[0]!);
      return post(channel.url!, body, signatureHeaders(channel.secret!, message.id, body, Math.floor(now / 1000)), now);
    }
    case "slack":
      return post(channel.url!, slackBody(message), {}, now);
    case "teams":
      return post(channel.url!, teamsBody(message), {}, now);
    case "email":
      return sendEmail(JSON.parse(channel.recipients ?? "[]") as string[], message);
  }
}
