// npm run bench:alerts [-- --duration <seconds> --rounds <n> --notifications <n>]
//
// Alerts benchmark (issue 13): the production server (dist/server.mjs) on fresh databases.
// 1. Latency: webhooks that each open a new incident, one every 100 ms, with an incident_opened
//    rule notifying a signed-webhook receiver on loopback; time from the webhook's 200 to the
//    receiver getting the notification (target p95 ≤ 2 s).
// 2. Ingest throughput with 20 enabled rules (every trigger, two channels) against none, in the
//    same run, alternating rounds on fresh databases holding the base traffic's incidents,
//    autocannon at 16 connections, a new event per request; 1 % open a new incident and 0.5 %
//    are hsm.status changes, so the outbox and the dispatcher do real work (target ≥ 0.9×,
//    medians of the rounds).
// Results go to stdout and bench-results/alerts-<timestamp>.json; non-zero exit if a target is missed.
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { openDatabase, setEngine } from "@/db/client";
import { SqliteEngine } from "@/db/sqlite/engine";
import { createChannel } from "@/lib/alerts/channels";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { createRule } from "@/lib/alerts/rules";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import { AlertReceiver } from "@/lib/testing/alert-receiver";
import { freePort, HOST, startServer } from "./harness";

const { values } = parseArgs({
  options: { duration: { type: "string", default: "8" }, rounds: { type: "string", default: "3" }, notifications: { type: "string", default: "60" } },
});
const seconds = Math.min(60, Math.max(2, Number(values.duration)));
const rounds = Math.min(5, Math.max(1, Number(values.rounds)));
const notifications = Math.min(500, Math.max(10, Number(values.notifications)));
const SYSTEM = { actor: SYSTEM_ACTOR, ip: null };
const SECRET = "faultline-bench-secret-0123456789";
const CONNECTIONS = 16;
const TARGET_P95_MS = 2000;
const TARGET_RATIO = 0.9;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-bench-alerts-"));
const receiver = new AlertReceiver();

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

const REASONS = ["FAILURE_BY_TIER_CAPACITY", "FAILURE_BY_RATE_LIMIT", "INVALID_PHONE", "FAILURE_BY_DISABLED_HSM", "FAILURE_BY_SPAM_RATE_LIMIT", "MISSING_PARAMETER"];

/**
 * The load: failures over 6 reasons × 100 lines × 4 templates (incidents that already exist),
 * except 1 event in 100 for a new line (a new incident: notified) and 1 in 200 an hsm.status
 * change (every other one PAUSED: notified).
 */
function benchEvent(id: string, i: number): Record<string, unknown> {
  const timestamp = new Date().toISOString();
  if (i % 200 === 100) return { event_type: "hsm.status", event_id: id, timestamp, hsm: { name: `bench_tpl_${i % 4}`, status: i % 400 === 100 ? "PAUSED" : "APPROVED" } };
  const line = i % 100 === 0 ? `+5739${String(i).padStart(8, "0")}` : `+5731000000${String(i % 100).padStart(2, "0")}`;
  return { event_type: "deployment.failure", event_id: id, timestamp, failure_reason: REASONS[i % 6], line, hsm: { name: `bench_tpl_${i % 4}` }, user: { country_code: "57", cellphone: String(3_000_000_000 + i) } };
}

/**
 * A fresh database with the given setup applied through the same lib verbs as the API, and
 * (for throughput) the base traffic's incidents already open, as on a server that has been running.
 */
async function freshDatabase(name: string, setup: () => Promise<void>, warm = false): Promise<string> {
  const file = path.join(dir, `${name}.db`);
  const handle = openDatabase(file);
  if (warm) {
    // Every (reason, line, template) of the base traffic: its pattern repeats every 300 events.
    const events = Array.from({ length: 600 }, (_, i) => (i % 100 === 0 ? null : benchEvent(`warm-${i}`, i))).filter((e) => e !== null && e.event_type === "deployment.failure") as Array<
      Record<string, unknown>
    >;
    storeEvents(
      handle,
      events.map((e) => {
        const payload = JSON.stringify(e);
        return prepareEvent(JSON.parse(payload), payload, Date.now());
      }),
    );
  }
  // The verbs write through getEngine(): pointed at this file while the setup runs.
  setEngine(new SqliteEngine(handle.sqlite));
  try {
    await setup();
  } finally {
    setEngine(undefined);
  }
  handle.sqlite.close();
  return file;
}

/** Twenty rules covering every trigger, on a webhook and a Slack-shaped channel. */
async function twentyRules(): Promise<void> {
  const hook = (await createChannel({ type: "webhook", name: "bench hook", url: receiver.url("/bench-hook") }, SYSTEM)).id;
  const slack = (await createChannel({ type: "slack", name: "bench slack", url: receiver.url("/bench-slack") }, SYSTEM)).id;
  const channelIds = [hook, slack];
  const reasons = REASONS;
  const rules: Array<Record<string, unknown>> = [
    ...reasons.map((reason) => ({ trigger: "incident_opened", filter: { reason } })),
    ...reasons.slice(0, 3).map((reason) => ({ trigger: "incident_regressed", filter: { reason } })),
    { trigger: "template_status" },
    { trigger: "template_status", filter: { template: "bench_tpl_1,bench_tpl_2" } },
    { trigger: "template_status", templateStatuses: ["PAUSED"], quietHours: { start: "00:00", end: "23:59", tz: "UTC" } },
    { trigger: "threshold", filter: { reason: "FAILURE_BY_TIER_CAPACITY" }, threshold: { count: 50, windowMinutes: 5 } },
    { trigger: "threshold", filter: { class: "retry_later" }, threshold: { count: 500, windowMinutes: 15 } },
    { trigger: "threshold", filter: { line: "+573100000001" }, threshold: { count: 10, windowMinutes: 60 } },
    { trigger: "threshold", threshold: { count: 100_000, windowMinutes: 180 } },
    { trigger: "change", change: { percent: 50, windowMinutes: 60, minCount: 10 } },
    { trigger: "change", filter: { reason: "INVALID_PHONE" }, change: { percent: 100, windowMinutes: 15, minCount: 5 } },
    { trigger: "digest", digest: { time: "08:00", tz: "America/Bogota" } },
    { trigger: "incident_escalating" },
  ];
  if (rules.length !== 20) throw new Error(`expected 20 rules, have ${rules.length}`);
  for (const [i, r] of rules.entries()) await createRule({ name: `bench rule ${i + 1}`, channelIds, ...r }, SYSTEM);
}

async function measureLatency(): Promise<{ p50: number; p95: number; max: number; received: number }> {
  const db = await freshDatabase("latency", async () => {
    const channelId = (await createChannel({ type: "webhook", name: "latency", url: receiver.url("/latency") }, SYSTEM)).id;
    await createRule({ name: "every new incident", trigger: "incident_opened", channelIds: [channelId] }, SYSTEM);
  });
  const port = await freePort();
  const server = await startServer(port, db, SECRET);
  const answeredAt = new Map<string, number>();
  try {
    for (let i = 0; i < notifications; i++) {
      const line = `+5731${String(i).padStart(8, "0")}`;
      const event = { event_type: "deployment.failure", event_id: `latency-${i}`, timestamp: new Date().toISOString(), failure_reason: "FAILURE_BY_TIER_CAPACITY", line, hsm: { name: "bench" } };
      const res = await fetch(`http://${HOST}:${port}/api/webhooks/treble?token=${SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(event) });
      await res.arrayBuffer();
      if (res.status === 200) answeredAt.set(line, Date.now());
      await new Promise((r) => setTimeout(r, 100));
    }
    await receiver.waitFor(() => receiver.on("/latency").length >= answeredAt.size, 30_000);
  } finally {
    await stop(server);
  }
  const latencies = receiver
    .on("/latency")
    .map((r) => {
      const line = (JSON.parse(r.body) as { incident: { line: string } }).incident.line;
      return r.at - answeredAt.get(line)!;
    })
    .sort((a, b) => a - b);
  return { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), max: latencies.at(-1) ?? NaN, received: latencies.length };
}

interface Point {
  reqPerSec: number;
  /** Server CPU per 1,000 events: steadier than req/s on a machine shared with other work. */
  cpuMsPerKiloEvent: number;
}

async function measureThroughput(label: string, withRules: boolean, round: number): Promise<Point> {
  const db = await freshDatabase(`${label}-${round}`, withRules ? twentyRules : async () => {}, true);
  const port = await freePort();
  const server = await startServer(port, db, SECRET);
  let n = 0;
  try {
    const cpuBefore = cpuMs(server.pid!);
    const result = await autocannon({
      url: `http://${HOST}:${port}/api/webhooks/treble?token=${SECRET}`,
      method: "POST",
      headers: { "content-type": "application/json" },
      connections: CONNECTIONS,
      duration: seconds,
      requests: [
        {
          method: "POST",
          setupRequest: (request) => {
            const i = n++;
            const event = benchEvent(`${label}-${round}-${i}`, i);
            request.body = JSON.stringify(event);
            return request;
          },
        },
      ],
    });
    // Notifications still being sent right after the load count too.
    await new Promise((r) => setTimeout(r, 1000));
    const cpuMsPerKiloEvent = ((cpuMs(server.pid!) - cpuBefore) / Math.max(1, result["2xx"])) * 1000;
    const reqPerSec = result.duration > 0 ? result["2xx"] / result.duration : 0;
    console.log(
      `  ${label.padEnd(9)} round ${round}: ${reqPerSec.toFixed(0)} req/s, server CPU ${cpuMsPerKiloEvent.toFixed(0)} ms per 1,000 events (${result.non2xx} non-2xx, ${result.errors} errors)`,
    );
    return { reqPerSec, cpuMsPerKiloEvent };
  } finally {
    await stop(server);
  }
}

async function main() {
  await receiver.start();
  console.log(`Load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`Alerts benchmark: ${notifications} notifications for latency; ${rounds} × ${seconds} s per throughput point, ${CONNECTIONS} connections; ${os.cpus().length} CPUs`);
  const latency = await measureLatency();
  console.log(`Webhook 200 → receiver: p50 ${latency.p50} ms, p95 ${latency.p95} ms, max ${latency.max} ms (${latency.received}/${notifications} received)`);
  const none: Point[] = [];
  const withRules: Point[] = [];
  for (let round = 1; round <= rounds; round++) {
    none.push(await measureThroughput("no-rules", false, round));
    withRules.push(await measureThroughput("20-rules", true, round));
  }
  // Medians of alternating rounds: one round disturbed by other work on the machine does not decide.
  const rate = (points: Point[]) => median(points.map((p) => p.reqPerSec));
  const cpu = (points: Point[]) => median(points.map((p) => p.cpuMsPerKiloEvent));
  const ratio = rate(withRules) / rate(none);
  const cpuRatio = cpu(none) / cpu(withRules);
  const delivered = receiver.on("/bench-hook").length + receiver.on("/bench-slack").length;
  console.log(
    `Ingest (medians): ${rate(none).toFixed(0)} req/s without rules, ${rate(withRules).toFixed(0)} req/s with 20 rules → ${ratio.toFixed(2)}×; ` +
      `server CPU per 1,000 events ${cpu(none).toFixed(0)} vs ${cpu(withRules).toFixed(0)} ms → ${cpuRatio.toFixed(2)}× (${delivered} notifications received meanwhile)`,
  );
  const checks = [
    { name: `latency p95 ≤ ${TARGET_P95_MS} ms`, ok: latency.p95 <= TARGET_P95_MS && latency.received === notifications },
    { name: `throughput with 20 rules ≥ ${TARGET_RATIO}×`, ok: ratio >= TARGET_RATIO },
  ];
  for (const c of checks) console.log(`${c.ok ? "PASS" : "FAIL"}  ${c.name}`);
  fs.mkdirSync("bench-results", { recursive: true });
  const out = path.join("bench-results", `alerts-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(out, JSON.stringify({ seconds, rounds, connections: CONNECTIONS, loadAverage: os.loadavg(), latency, none, withRules, ratio, cpuRatio, delivered, checks }, null, 2));
  console.log(`Results: ${out}`);
  await receiver.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
}

void main();
