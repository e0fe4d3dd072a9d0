import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPg } from "@/db/pg/connection";
import { failureEvent } from "@/lib/testing/fixtures";
import { startNginx, type NginxProcess } from "@/lib/testing/nginx";
import { CLUSTER_START_TIMEOUT_MS, startPgCluster, type PgCluster } from "@/lib/testing/pg-cluster";
import { ensureProductionBuild, freePort, startServerProcess, type ServerProcess } from "@/lib/testing/server-process";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { until } from "@/lib/testing/until";

// docs/production.md's zero-downtime deploy, for real: two production servers on one throwaway
// PostgreSQL behind nginx running deploy/nginx.conf (its upstreams pointed at 127.0.0.1), webhooks
// sent through the proxy all along while each instance in turn is stopped with SIGTERM and started
// again. Every webhook is answered 2xx, and every acknowledged event is stored once.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-deploy-"));
const SENDERS = 8;
let cluster: PgCluster;
let url: string;
const servers: ServerProcess[] = [];
/** How long nginx may take, under the suite's load, from a webhook's sending to its connecting upstream. */
const PROXY_LATENCY_MARGIN_MS = 500;

/** When `server` began listening: the time of its "listening" log line (this machine's clock, as Date.now()). */
async function listenedAt(server: ServerProcess): Promise<number> {
  const line = await until(`the "listening" line in the server's output`, () => server.output().split("\n").find((l) => l.includes('"msg":"listening"')));
  return (JSON.parse(line) as { time: number }).time;
}
let proxy: NginxProcess | undefined;

beforeAll(async () => {
  ensureProductionBuild();
  cluster = await startPgCluster();
  url = cluster.createDatabase("faultline_deploy");
}, 15 * 60_000 + CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await proxy?.stop();
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) process.kill(s.pid, "SIGKILL");
  cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** deploy/nginx.conf with its upstreams on 127.0.0.1 and its server on `listen`. */
function proxyConfig(ports: readonly number[], listen: number): string {
  const conf = fs
    .readFileSync(path.join(process.cwd(), "deploy", "nginx.conf"), "utf8")
    .replace("server faultline-1:3000", `server 127.0.0.1:${ports[0]}`)
    .replace("server faultline-2:3000", `server 127.0.0.1:${ports[1]}`)
    .replace("listen 80;", `listen 127.0.0.1:${listen};`);
  expect(conf).not.toMatch(/faultline-\d:3000|listen 80;/);
  return conf;
}

interface Answer {
  id: string;
  status: number;
  accepted: number;
  /** The instances nginx tried, in order ($upstream_addr): "a" or "a, b" after a retry. */
  upstream: string;
  sentAt: number;
}

describe("a rolling deploy behind nginx (deploy/nginx.conf) on PostgreSQL", () => {
  it("answers every webhook 2xx and stores every acknowledged event once while each instance is replaced in turn", async () => {
    // LOG_LEVEL info: each server logs when it began listening (see listenedAt).
    const env = { DATABASE_URL: url, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, TRUST_PROXY: "true", MAX_CONNECTIONS_PER_IP: "0", LOG_LEVEL: "info" };
    const ports = [await freePort(), await freePort()];
    // Started together: one migrates, the other waits for its lock.
    servers.push(...(await Promise.all(ports.map((port) => startServerProcess({ ...env, PORT: String(port) })))));
    const proxyPort = await freePort();
    const nginx = await startNginx(proxyConfig(ports, proxyPort), proxyPort, path.join(dir, "nginx"));
    proxy = nginx;
    const failTimeoutMs = Number(/fail_timeout=(\d+)s/.exec(fs.readFileSync(path.join(process.cwd(), "deploy", "nginx.conf"), "utf8"))![1]) * 1_000;
    const servedBy = (a: Answer, k: number) => a.upstream.split(", ").at(-1) === `127.0.0.1:${ports[k]}`;

    const answers: Answer[] = [];
    const failures: string[] = [];
    let sending = true;
    const sender = async (w: number) => {
      for (let i = 0; sending; i++) {
        // Every seventh request sends an earlier event again, as Treble does when it retries.
        const id = i % 7 === 6 ? `deploy-${w}-${i - 3}` : `deploy-${w}-${i}`;
        const sentAt = Date.now();
        try {
          const res = await fetch(`${nginx.origin}/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(failureEvent({ event_id: id, user: { country_code: "57", cellphone: String(3_100_000_000 + w * 100_000 + i) } })),
          });
          const text = await res.text();
          const accepted = res.ok ? (JSON.parse(text) as { accepted: number }).accepted : 0;
          answers.push({ id, status: res.status, accepted, upstream: res.headers.get("x-upstream") ?? "", sentAt });
          if (!res.ok) failures.push(`${id}: ${res.status} ${text}`);
        } catch (err) {
          failures.push(`${id}: ${String(err)}`);
        }
      }
    };
    const load = Promise.all(Array.from({ length: SENDERS }, (_, w) => sender(w)));

    /** The span each instance was away: from its old process's exit until its new one began to listen. */
    const away: Array<{ k: number; from: number; to: number }> = [];
    try {
      for (const k of [0, 1]) {
        const since = Date.now();
        await until(`instance ${k + 1} serving webhooks`, () => answers.filter((a) => a.sentAt >= since && servedBy(a, k)).length >= 20);
        const old = servers[k]!;
        process.kill(old.pid, "SIGTERM");
        // Graceful: in-flight requests finished, exit 0.
        expect((await old.exited).code, old.output()).toBe(0);
        const from = Date.now();
        servers[k] = await startServerProcess({ ...env, PORT: String(ports[k]) });
        away.push({ k, from, to: await listenedAt(servers[k]!) });
        await until(`instance ${k + 1} healthy again`, () => fetch(`${servers[k]!.origin}/api/health`).then((r) => r.ok, () => false));
        // As docs/production.md says: nginx tries an instance it saw fail again only after
        // fail_timeout, so the next one is replaced once that has passed.
        await new Promise((r) => setTimeout(r, failTimeoutMs + 1_000));
      }
      const since = Date.now();
      await until("the replaced instances serving webhooks", () => [0, 1].every((k) => answers.filter((a) => a.sentAt >= since && servedBy(a, k)).length >= 20));
    } finally {
      sending = false;
      await load;
    }

    expect(failures, nginx.errors()).toEqual([]);
    for (const span of away) {
      // Webhooks kept coming while the instance was away, and the other instance answered them
      // (those sent in the last moments before it listened may reach it once it does).
      const meanwhile = answers.filter((a) => a.sentAt > span.from && a.sentAt < span.to - PROXY_LATENCY_MARGIN_MS);
      expect(meanwhile.length).toBeGreaterThan(10);
      expect(meanwhile.every((a) => servedBy(a, 1 - span.k))).toBe(true);
    }

    // Every acknowledged event is stored, once.
    const acknowledged = new Set(answers.map((a) => a.id));
    const db = await connectPg(url);
    try {
      const stored = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM failures")).rows[0]!.n;
      expect(stored).toBe(acknowledged.size);
      expect(answers.reduce((sum, a) => sum + a.accepted, 0)).toBe(stored);
    } finally {
      await db.end();
    }
    const retried = answers.filter((a) => a.upstream.includes(", ")).length;
    console.log(
      `rolling deploy: ${answers.length} webhooks through nginx (${acknowledged.size} events), all 2xx; away ${away.map((s) => `${s.to - s.from} ms`).join(" and ")}; ${retried} retried on the other instance by nginx`,
    );
  }, 180_000);
});
