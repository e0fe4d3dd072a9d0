// `npm run simulate -- --url <webhook url> --rate 200 --duration 60`: sends realistic Treble
// traffic (scripts/demo/traffic.ts) to a running Faultline over HTTP. Run with --help for flags.
import { numberFlag, parseFlags, runMain, stringFlag, UsageError, type FlagValues } from "./demo/cli";
import { Rng } from "./demo/rng";
import { TrafficModel, type TrafficItem } from "./demo/traffic";

const HELP = `Usage: npm run simulate -- --url <webhook url> [options]

Sends realistic Treble deployment.failure traffic (several lines and templates, campaigns, skewed
reasons, a template disabled mid-run with its hsm.status events, a line hitting its tier, a line
restricted for spam, every payload alias) to a Faultline webhook, with event times = now.

Options:
  --url <url>              Webhook URL, e.g. http://localhost:3000/api/webhooks/treble?token=<secret> (required)
  --rate <n>               Events per second to send (default 200; up to 50000)
  --duration <seconds>     How long to send (default 60; up to 86400)
  --batch-ratio <f>        Share of requests carrying a JSON array of 2–20 events (default 0.05)
  --duplicate-ratio <f>    Share of events that resend an earlier event verbatim (default 0.02)
  --concurrency <n>        Most requests in flight at once (default 32)
  --seed <n>               Seed of the generated traffic (default: random); printed at start
  --token <secret>         Sent as "Authorization: Bearer <secret>" when the URL has no ?token=
  -h, --help               Show this help

Prints progress every 5 s and a summary at the end. Exit code 0 when every request got a 2xx;
1 when any request failed (5xx, 4xx, network error or timeout); 2 on bad flags.`;

interface SimOptions {
  url: URL;
  rate: number;
  durationMs: number;
  batchRatio: number;
  duplicateRatio: number;
  concurrency: number;
  seed: number;
  headers: Record<string, string>;
}

function parseUrl(values: FlagValues): URL {
  const text = stringFlag(values, "url");
  if (!text) throw new UsageError("--url is required (the webhook URL, e.g. http://localhost:3000/api/webhooks/treble?token=…)");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url is not a valid URL: "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--url must be http:// or https:// (got ${url.protocol})`);
  }
  return url;
}

function parseOptions(values: FlagValues): SimOptions {
  const url = parseUrl(values);
  const token = stringFlag(values, "token");
  const headers: Record<string, string> = { "content-type": "application/json" };
  // The URL's own ?token= wins: it is what Treble would call.
  if (token && !url.searchParams.has("token")) headers.authorization = `Bearer ${token}`;
  return {
    url,
    headers,
    rate: numberFlag(values, "rate", 200, { min: 0, minInclusive: false, max: 50_000 }),
    durationMs: numberFlag(values, "duration", 60, { min: 0, minInclusive: false, max: 86_400 }) * 1000,
    batchRatio: numberFlag(values, "batch-ratio", 0.05, { min: 0, max: 1 }),
    duplicateRatio: numberFlag(values, "duplicate-ratio", 0.02, { min: 0, max: 0.5 }),
    concurrency: numberFlag(values, "concurrency", 32, { min: 1, max: 1024, integer: true }),
    seed: numberFlag(values, "seed", Math.floor(Math.random() * 2 ** 31), { min: 0, max: 2 ** 32 - 1, integer: true }),
  };
}

/** Tallies of the run, as the server answered them. */
class Stats {
  requests = 0;
  events = 0;
  resent = 0;
  statusEvents = 0;
  accepted = 0;
  duplicates = 0;
  quarantined = 0;
  readonly errors = new Map<string, number>();
  readonly samples: string[] = [];
  readonly latencies: number[] = [];

  get failedRequests(): number {
    let n = 0;
    for (const count of this.errors.values()) n += count;
    return n;
  }

  recordError(kind: string, detail: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    // A few examples are enough to diagnose (a 401 repeated 12,000 times says the same thing).
    if (this.samples.length < 3) this.samples.push(`${kind}: ${detail.slice(0, 300)}`);
  }

  percentile(p: number): number {
    if (!this.latencies.length) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }

  errorText(): string {
    return this.errors.size ? [...this.errors].map(([k, v]) => `${k}×${v}`).join(", ") : "none";
  }
}

interface Request {
  body: string;
  events: number;
}

/** Sends requests with at most `concurrency` in flight; keep-alive comes with Node's fetch. */
class Sender {
  private inFlight = 0;
  private readonly queue: Request[] = [];
  private idle: (() => void) | undefined;

  constructor(
    private readonly options: SimOptions,
    private readonly stats: Stats,
  ) {}

  get backlog(): number {
    return this.queue.length + this.inFlight;
  }

  enqueue(request: Request): void {
    this.queue.push(request);
    this.pump();
  }

  /** Resolves once everything queued has been answered. */
  drained(): Promise<void> {
    if (this.backlog === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.concurrency && this.queue.length) {
      const request = this.queue.shift()!;
      this.inFlight++;
      void this.send(request).finally(() => {
        this.inFlight--;
        this.pump();
        if (this.backlog === 0) this.idle?.();
      });
    }
  }

  private async send(request: Request): Promise<void> {
    const started = performance.now();
    this.stats.requests++;
    try {
      const res = await fetch(this.options.url, {
        method: "POST",
        headers: this.options.headers,
        body: request.body,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      this.stats.latencies.push(performance.now() - started);
      if (res.ok) this.recordAnswer(text);
      else this.stats.recordError(String(res.status), text);
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
      this.stats.recordError("network", `${err instanceof Error ? err.message : String(err)}${cause}`);
    }
  }

  private recordAnswer(text: string): void {
    try {
      const answer = JSON.parse(text) as { accepted?: unknown; duplicates?: unknown; quarantined?: unknown };
      if (typeof answer.accepted === "number") this.stats.accepted += answer.accepted;
      if (typeof answer.duplicates === "number") this.stats.duplicates += answer.duplicates;
      if (typeof answer.quarantined === "number") this.stats.quarantined += answer.quarantined;
    } catch {
      this.stats.recordError("bad-2xx-body", text);
    }
  }
}

const RECENT_KEPT = 500;

/** Decides what each request carries: new events, a batch, a resend, or a due hsm.status. */
class Traffic {
  private readonly rng: Rng;
  private readonly model: TrafficModel;
  private readonly recent: string[] = [];
  private nextStatus = 0;

  constructor(
    private readonly options: SimOptions,
    private readonly stats: Stats,
    start: number,
  ) {
    this.rng = new Rng(`simulate:${options.seed}`);
    // Ids include the start time: a second run with the same seed is new traffic, not duplicates.
    this.model = new TrafficModel({
      seed: options.seed,
      start,
      end: start + options.durationMs,
      idNamespace: `simulate:${options.seed}:${start}`,
      contacts: 5_000,
    });
  }

  /** The next request, carrying at most about `budget` events. */
  nextRequest(now: number, budget: number): Request {
    const status = this.model.statuses[this.nextStatus];
    if (status && status.at <= now) {
      this.nextStatus++;
      this.stats.statusEvents++;
      return this.fresh([this.model.statusEvent(status, now)]);
    }
    if (this.recent.length && this.rng.chance(this.options.duplicateRatio)) {
      this.stats.resent++;
      return { body: this.rng.pick(this.recent), events: 1 };
    }
    if (budget >= 2 && this.rng.chance(this.options.batchRatio)) {
      const size = Math.min(budget, 2 + this.rng.int(19));
      return this.fresh(Array.from({ length: size }, () => this.model.failureAt(now)), true);
    }
    return this.fresh([this.model.failureAt(now)]);
  }

  private fresh(items: TrafficItem[], asBatch = false): Request {
    const texts = items.map((item) => JSON.stringify(item.event));
    for (const text of texts) {
      if (this.recent.length >= RECENT_KEPT) this.recent[this.rng.int(RECENT_KEPT)] = text;
      else this.recent.push(text);
    }
    return { body: asBatch ? `[${texts.join(",")}]` : texts[0]!, events: texts.length };
  }
}

const TICK_MS = 10;
const PROGRESS_EVERY_MS = 5_000;

function progressLine(stats: Stats, elapsedMs: number, backlog: number): string {
  const seconds = elapsedMs / 1000;
  return (
    `[${seconds.toFixed(1).padStart(6)}s] sent ${stats.events} events (${(stats.events / Math.max(seconds, 0.001)).toFixed(0)}/s) ` +
    `in ${stats.requests} requests · accepted ${stats.accepted} · duplicates ${stats.duplicates} · quarantined ${stats.quarantined} · ` +
    `errors ${stats.errorText()} · waiting ${backlog}`
  );
}

/** Generates on schedule (events due = rate × elapsed) until the duration is over. */
async function run(options: SimOptions, stats: Stats, sender: Sender): Promise<number> {
  const start = Date.now();
  const traffic = new Traffic(options, stats, start);
  let stopped = false;
  const onSigint = () => {
    if (stopped) process.exit(130);
    stopped = true;
    console.log("\nStopping (Ctrl-C again to quit at once)…");
  };
  process.on("SIGINT", onSigint);
  const progress = setInterval(() => console.log(progressLine(stats, Date.now() - start, sender.backlog)), PROGRESS_EVERY_MS);
  let scheduled = 0;
  while (!stopped) {
    const elapsed = Date.now() - start;
    const target = Math.floor((options.rate * Math.min(elapsed, options.durationMs)) / 1000);
    // Back-pressure: a slow server lowers the achieved rate instead of filling memory.
    while (scheduled < target && sender.backlog < options.concurrency * 4) {
      const request = traffic.nextRequest(Date.now(), target - scheduled);
      scheduled += request.events;
      stats.events += request.events;
      sender.enqueue(request);
    }
    if (elapsed >= options.durationMs) break;
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await sender.drained();
  clearInterval(progress);
  process.off("SIGINT", onSigint);
  return Date.now() - start;
}

function printSummary(options: SimOptions, stats: Stats, elapsedMs: number): void {
  const seconds = elapsedMs / 1000;
  const lines = [
    "",
    `Summary (${seconds.toFixed(1)} s, seed ${options.seed})`,
    `  sent        ${stats.events} events in ${stats.requests} requests ` +
      `(${(stats.events / seconds).toFixed(1)} events/s; target ${options.rate})`,
    `              including ${stats.resent} resent events and ${stats.statusEvents} hsm.status events`,
    `  accepted    ${stats.accepted}`,
    `  duplicates  ${stats.duplicates}`,
    `  quarantined ${stats.quarantined}`,
    `  errors      ${stats.errorText()}`,
    stats.latencies.length
      ? `  latency     p50 ${stats.percentile(50).toFixed(1)} ms · p99 ${stats.percentile(99).toFixed(1)} ms`
      : "  latency     n/a (no answers)",
  ];
  for (const sample of stats.samples) lines.push(`  e.g. ${sample}`);
  console.log(lines.join("\n"));
}

async function main(): Promise<number> {
  const values = parseFlags(process.argv.slice(2), {
    url: { type: "string" },
    rate: { type: "string" },
    duration: { type: "string" },
    "batch-ratio": { type: "string" },
    "duplicate-ratio": { type: "string" },
    concurrency: { type: "string" },
    seed: { type: "string" },
    token: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const options = parseOptions(values);
  const shownUrl = new URL(options.url);
  if (shownUrl.searchParams.has("token")) shownUrl.searchParams.set("token", "REDACTED");
  console.log(`Sending ${options.rate} events/s for ${options.durationMs / 1000} s to ${shownUrl} (seed ${options.seed})`);
  if (!options.url.searchParams.has("token") && !options.headers.authorization) {
    console.warn("No token given (?token= in the URL or --token): expect 401 unless the server verifies signatures.");
  }
  const stats = new Stats();
  const elapsed = await run(options, stats, new Sender(options, stats));
  printSummary(options, stats, elapsed);
  return stats.failedRequests > 0 ? 1 : 0;
}

runMain(main, "simulate");
