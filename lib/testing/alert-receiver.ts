import http from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** One request a receiver got, and what it answered. */
export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
  answered: number | null;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  /** Never answer (the sender times out, or is killed meanwhile). */
  hang?: boolean;
  /** Answer only once this settles (a test holds sends in flight until it has seen them all). */
  after?: Promise<unknown>;
}

/**
 * A real HTTP receiver on loopback for alert deliveries (webhook, Slack, Teams shapes): records
 * every request; answers each path from its script (a queue; then the default, 200).
 */
export class AlertReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly scripts = new Map<string, ScriptedAnswer[]>();
  private readonly defaults = new Map<string, ScriptedAnswer>();
  private readonly waiters: Array<() => void> = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const record: ReceivedRequest = { path, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString("utf8"), at: Date.now(), answered: null };
      this.requests.push(record);
      const answer = this.scripts.get(path)?.shift() ?? this.defaults.get(path) ?? { status: 200 };
      const reply = () => {
        record.answered = answer.status;
        res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers }).end(answer.status < 300 ? "ok" : "nope");
      };
      if (answer.after) void answer.after.then(reply);
      else if (!answer.hang) reply();
      this.waiters.splice(0).forEach((w) => w());
    });
  });
  origin = "";

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /** Answers the next requests to `path` with these, in order. */
  script(path: string, ...answers: ScriptedAnswer[]): void {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...answers]);
  }

  /** Answers every later request to `path` with this, once the script is used up. */
  setDefault(path: string, answer: ScriptedAnswer): void {
    this.defaults.set(path, answer);
  }

  /** Forgets the requests so far and every script and default: each test starts afresh. */
  reset(): void {
    this.requests.length = 0;
    this.scripts.clear();
    this.defaults.clear();
  }

  on(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Waits until `predicate` holds (checked on every request) or the timeout passes. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${this.requests.length} requests so far)`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/** Bytes written as `=XX` (quoted-printable, and Q encoded words) back to text. */
const hexBytes = (s: string) => Buffer.from(s.replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8");

/** A header of a received mail, unfolded, with RFC 2047 encoded words (=?UTF-8?Q|B?…?=) decoded. */
export function mailHeader(raw: string, name: string): string | null {
  const head = raw.split(/\r\n\r\n/)[0]!.replace(/\r\n[ \t]+/g, " ");
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  if (line === undefined) return null;
  return line
    .slice(name.length + 1)
    .trim()
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, kind: string, text: string) =>
      kind.toUpperCase() === "B" ? Buffer.from(text, "base64").toString("utf8") : hexBytes(text.replace(/_/g, " ")),
    );
}

/** The decoded body of a received mail's part of this content type (quoted-printable or base64). */
export function mailPart(raw: string, contentType: string): string | null {
  for (const part of raw.split(/\r\n--[^\r\n]+\r\n/)) {
    const [head = "", ...rest] = part.split("\r\n\r\n");
    if (!new RegExp(`^Content-Type: ${contentType}`, "im").test(head)) continue;
    const body = rest.join("\r\n\r\n").replace(/\r\n--[^\r\n]+--\s*$/, "");
    if (/Content-Transfer-Encoding: base64/i.test(head)) return Buffer.from(body, "base64").toString("utf8");
    if (/Content-Transfer-Encoding: quoted-printable/i.test(head)) return hexBytes(body.replace(/=\r\n/g, ""));
    return body;
  }
  return null;
}

/** A real SMTP server (smtp-server) on loopback, accepting any mail without TLS or auth. */
export class MailReceiver {
  readonly mails: ReceivedMail[] = [];
  /** Reply code to refuse the next messages with (e.g. 550), or null to accept. */
  refuseWith: number | null = null;
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (this.refuseWith !== null) {
          const err = Object.assign(new Error("mailbox unavailable"), { responseCode: this.refuseWith });
          callback(err);
          return;
        }
        this.mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
