import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setEngine } from "@/db/client";
import { connectPg, withoutPassword } from "@/db/pg/connection";
import { PgEngine } from "@/db/pg/engine";
import { MIGRATION_LOCK_KEY } from "@/db/pg/migrate";
import { createChannel } from "@/lib/alerts/channels";
import { createRule } from "@/lib/alerts/rules";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { decodeDedupeKey } from "@/lib/ingest/compact-values";
import { AlertReceiver } from "@/lib/testing/alert-receiver";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { failureEvent } from "@/lib/testing/fixtures";
import { gate, holdLock } from "@/lib/testing/hold-lock";
import { CLUSTER_START_TIMEOUT_MS, startPgCluster, type PgCluster } from "@/lib/testing/pg-cluster";
import { ensureProductionBuild, startServerProcess, type ServerProcess } from "@/lib/testing/server-process";
import { setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { until } from "@/lib/testing/until";

// Issue #16's multi-instance test: two production servers (dist/server.mjs, each its own process)
// on one throwaway PostgreSQL database. Each connects with its own application_name, so
// pg_stat_activity tells whose statements wait: where the test claims the two overlap, a third
// connection holds the lock until both instances are seen waiting on it.
const temp = setupTempDatabase({ LOG_LEVEL: "silent" });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-multi-"));
const receiver = new AlertReceiver();
const children: ServerProcess[] = [];
const NAMES = ["instance_a", "instance_b"] as const;
/** The servers' ports: this file's share of the machine's test ports (PG_TEST_PORT_BASE + 10…). */
const PORT_BASE = Number(process.env.PG_TEST_PORT_BASE ?? 0) > 0 ? Number(process.env.PG_TEST_PORT_BASE) + 10 : 0;

let cluster: PgCluster;
let url: string;
let db: PgEngine;
let instances: ServerProcess[];
let admin: TestUser;

beforeAll(async () => {
  ensureProductionBuild();
  await receiver.start();
  cluster = await startPgCluster();
  url = cluster.createDatabase("multi_instance");
  db = PgEngine.open(url);
}, 15 * 60_000 + CLUSTER_START_TIMEOUT_MS);
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) process.kill(c.pid, "SIGKILL");
  setEngine(undefined);
  await receiver.stop();
  await db?.close();
  cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  temp.cleanup();
});

const instanceUrl = (name: string) => `${url}?application_name=${name}`;

async function start(name: string, index: number): Promise<ServerProcess> {
  const server = await startServerProcess({
    DATABASE_URL: instanceUrl(name),
    // Never opened: the test checks that no file appears there.
    DATABASE_PATH: path.join(dir, `${name}.db`),
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    LOG_LEVEL: "info",
    ...(PORT_BASE ? { PORT: String(PORT_BASE + index) } : {}),
  });
  children.push(server);
  return server;
}

const logLines = (server: ServerProcess) =>
  server
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Instances (by application_name) with a statement waiting on a lock right now. */
async function waitingInstances(): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    "SELECT DISTINCT application_name AS name FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name IN (?, ?) ORDER BY name",
    [...NAMES],
  );
  return rows.map((r) => r.name);
}
const bothWaiting = async () => (await waitingInstances()).length === 2;

async function postEvents(server: ServerProcess, events: unknown[]): Promise<{ status: number; body: Record<string, number> }> {
  const response = await fetch(`${server.origin}/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  return { status: response.status, body: (await response.json()) as Record<string, number> };
}

async function api(server: ServerProcess, pathAndQuery: string, method = "GET"): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.origin}${pathAndQuery}`, {
    method,
    headers: { ...admin?.headers, ...(method === "POST" ? { "content-type": "application/json" } : {}) },
    body: method === "POST" ? "{}" : undefined,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function storedEventIds(): Promise<string[]> {
  const rows = await db.query<{ dedupe_key: Buffer }>("SELECT dedupe_key FROM raw_events");
  return rows.map((r) => decodeDedupeKey(r.dedupe_key));
}

/** Every stored event is one failure, counted once in its incident and in the daily rollup. */
async function expectCountsAgree(events: number): Promise<void> {
  const one = async (sql: string) => (await db.one<{ n: number }>(sql))!.n;
  expect(await one("SELECT count(*) AS n FROM raw_events")).toBe(events);
  expect(await one("SELECT count(*) AS n FROM failures")).toBe(events);
  expect(await one("SELECT coalesce(sum(failures), 0) AS n FROM incidents")).toBe(events);
  expect(await one("SELECT coalesce(sum(failures), 0) AS n FROM rollup_day")).toBe(events);
}

const STARTED = Date.now();
const now = () => new Date().toISOString();
/** One window for every stats request (the default one moves with the clock). */
const STATS_QUERY = `/api/stats?from=${new Date(STARTED - 3_600_000).toISOString()}&to=${new Date(STARTED + 3_600_000).toISOString()}`;
const SHARED_LINE = "+573001110000";
/** Lines of the events sent to instance `s` under load: +57315… and +57316…. */
const linePrefix = (s: number) => `+5731${s + 5}`;

describe.sequential("two production servers on one PostgreSQL database", () => {
  it("start together, migrate it once, and never open a SQLite file", { timeout: 90_000 }, async () => {
    // The test holds the migration lock until both servers wait on it: they provably start together.
    const holder = await connectPg(url);
    await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    const starting = NAMES.map((name, i) => start(name, i));
    await until("both instances waiting on the migration lock", async () => {
      const { rows } = await holder.query<{ name: string }>(
        `SELECT DISTINCT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = ($1::bigint & 4294967295)::oid`,
        [MIGRATION_LOCK_KEY],
      );
      return rows.length === 2;
    });
    await holder.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    await holder.end();
    instances = await Promise.all(starting);

    const journal = (await import("@/db/migrations-pg/meta/_journal.json")).entries.length;
    const migrated = instances.map((server) => logLines(server).find((l) => l.msg === "PostgreSQL migrated")!);
    expect(migrated.map((l) => l.migrationsApplied).sort()).toEqual([0, journal]);
    const password = new URL(url).password;
    for (const [i, server] of instances.entries()) {
      const listening = logLines(server).find((l) => l.msg === "listening")!;
      expect(listening.database).toBe(withoutPassword(instanceUrl(NAMES[i]!)));
      expect(server.output()).not.toContain(password);
      expect(await api(server, "/api/health")).toEqual({ status: 200, json: { ok: true, db: "ok", version: expect.any(String) } });
    }
    expect(fs.readdirSync(dir)).toEqual([]);

    setEngine(db);
    admin = await createTestUser("admin");
  });

  const unique = Array.from({ length: 120 }, (_, i) =>
    failureEvent({ event_id: `same-${i}`, timestamp: now(), line: i % 3 === 0 ? SHARED_LINE : `+57300111${String(i % 7).padStart(4, "0")}` }),
  );
  let sharedIncident: number;

  it("(a) store every event once when the same webhooks, duplicates included, reach both at once", { timeout: 60_000 }, async () => {
    expect((await postEvents(instances[0]!, [unique[0]])).body.accepted).toBe(1);
    sharedIncident = (await db.one<{ id: number }>("SELECT id FROM incidents"))!.id;
    // 12 requests, each with the shared incident, two events repeated within the request and
    // half of its events also in another request; every request goes to both instances.
    const requests = Array.from({ length: 12 }, (_, r) => {
      const own = unique.slice(1 + r * 10, 11 + r * 10);
      const earlier = unique.slice(1 + ((r + 5) % 12) * 10, 6 + ((r + 5) % 12) * 10);
      return [unique[0], ...own, own[0], own[1], ...earlier];
    });
    // Held on the shared incident's row, every request waits: none commits before both instances do.
    const lock = await holdLock(db, (tx) => tx.query("SELECT id FROM incidents WHERE id = ? FOR UPDATE", [sharedIncident]));
    const answers = Promise.all(requests.flatMap((events) => instances.map((server) => postEvents(server, events))));
    await until("both instances' ingest waiting on the held incident", bothWaiting);
    await lock.release();

    const done = await answers;
    expect(done.map((a) => a.status)).toEqual(done.map(() => 200));
    const sent = requests.reduce((n, events) => n + events.length, 0) * instances.length;
    const accepted = done.reduce((n, a) => n + a.body.accepted!, 0);
    expect(accepted).toBe(unique.length - 1);
    expect(accepted + done.reduce((n, a) => n + a.body.duplicates!, 0)).toBe(sent);

    const ids = await storedEventIds();
    expect(ids.sort()).toEqual(unique.map((e) => e.event_id as string).sort());
    await expectCountsAgree(unique.length);
  });

  it("(b) answer GET /api/stats the same from either instance", async () => {
    const [fromA, fromB] = await Promise.all(instances.map((server) => api(server, STATS_QUERY)));
    expect(fromA!.status).toBe(200);
    expect(fromA!.json.total).toBe(unique.length);
    expect(fromB).toEqual(fromA);
  });

  it("(c) see an acknowledgement made on one instance on the other", async () => {
    const before = await api(instances[1]!, STATS_QUERY);
    const acknowledged = await api(instances[0]!, `/api/incidents/${sharedIncident}/acknowledge`, "POST");
    expect(acknowledged.status).toBe(200);
    expect(acknowledged.json.status).toBe("acknowledged");
    const again = await api(instances[1]!, `/api/incidents/${sharedIncident}/acknowledge`, "POST");
    expect(again.status).toBe(409);
    // The incident as the other instance reads it now: the one the first acknowledgement answered.
    expect(again.json.current).toMatchObject({ id: sharedIncident, status: "acknowledged" });
    expect(again.json.current).toEqual(acknowledged.json);
    const [afterA, afterB] = await Promise.all(instances.map((server) => api(server, STATS_QUERY)));
    expect(afterB!.json.openIncidents).toBe((before.json.openIncidents as number) - 1);
    expect(afterA).toEqual(afterB);
    // The incident's page from either instance: acknowledged, with the acknowledgement in its activity.
    const [detailA, detailB] = await Promise.all(instances.map((server) => api(server, `/api/incidents/${sharedIncident}`)));
    expect(detailB!.status).toBe(200);
    expect(detailB!.json).toMatchObject({ id: sharedIncident, status: "acknowledged" });
    expect((detailB!.json.activity as Array<{ action: string }>).some((a) => a.action === "acknowledged")).toBe(true);
    expect(detailA).toEqual(detailB);
  });

  it("(d) lose no acknowledged event and no alert when one is killed with SIGKILL mid-load", { timeout: 90_000 }, async () => {
    const channel = await createChannel({ type: "webhook", name: "receiver", url: receiver.url("/multi") }, { actor: SYSTEM_ACTOR, ip: null });
    await createRule({ name: "every new incident", trigger: "incident_opened", channelIds: [channel.id] }, { actor: SYSTEM_ACTOR, ip: null });
    // The first delivery's answer is held: its sender keeps the channel's lease meanwhile.
    const firstAnswer = gate();
    receiver.script("/multi", { status: 200, after: firstAnswer.promise });

    // Senders post one event at a time, each a new incident (a delivery) on a line of its instance.
    const acked: Array<Set<string>> = instances.map(() => new Set());
    let stopLoad = false;
    const drive = (server: ServerProcess, s: number) =>
      Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; !stopLoad; i++) {
            const id = `kill-${s}-${w}-${i}`;
            const line = `${linePrefix(s)}${w}${String(i).padStart(6, "0")}`;
            try {
              if ((await postEvents(server, [failureEvent({ event_id: id, timestamp: now(), line })])).status === 200) acked[s]!.add(id);
            } catch {
              return; // the server is gone
            }
          }
        }),
      );
    const load = instances.map((server, s) => drive(server, s));

    await receiver.waitFor(() => receiver.on("/multi").length === 1, 30_000);
    const holder = (await db.one<{ owner: string }>("SELECT lease_owner AS owner FROM alert_channels WHERE id = ?", [channel.id]))!.owner;
    const survivor = instances.findIndex((server) => holder.split(":").includes(String(server.pid)));
    expect(survivor).toBeGreaterThanOrEqual(0);
    const victim = 1 - survivor;
    const ackedBeforeKill = acked[victim]!.size;
    await until("the victim acknowledging more events", () => acked[victim]!.size >= ackedBeforeKill + 20);
    process.kill(instances[victim]!.pid, "SIGKILL");
    expect((await instances[victim]!.exited).signal).toBe("SIGKILL");
    // Nothing was sent but the held delivery: every other one goes out from the survivor.
    expect(receiver.on("/multi")).toHaveLength(1);
    const survivorAcked = acked[survivor]!.size;
    await until("the survivor acknowledging more events", () => acked[survivor]!.size >= survivorAcked + 20);
    stopLoad = true;
    await Promise.all(load);
    firstAnswer.open();

    const stored = new Set(await storedEventIds());
    for (const set of acked) expect([...set].filter((id) => !stored.has(id)), "acknowledged but not stored").toEqual([]);
    const killLoad = [...stored].filter((id) => id.startsWith("kill-"));
    await expectCountsAgree(stored.size);

    const deliveries = async () => db.query<{ id: string; status: string }>("SELECT id, status FROM alert_deliveries");
    await until("every delivery delivered", async () => (await deliveries()).every((d) => d.status === "delivered"), 30_000);
    const ids = (await deliveries()).map((d) => d.id);
    // One per incident opened under load, each received once under its stored id.
    expect(ids).toHaveLength(killLoad.length);
    const received = receiver.on("/multi").map((r) => r.headers["webhook-id"]!);
    expect(new Set(received)).toEqual(new Set(ids));
    // Each once; the held one again only if its send timed out meanwhile (at least once, same id).
    const held = received[0];
    expect(received.filter((id) => id !== held).sort()).toEqual(ids.filter((id) => id !== held).sort());
    // The victim's own incidents were among them (their lines carry its prefix).
    const lines = receiver.on("/multi").map((r) => (JSON.parse(r.body) as { incident: { line: string } }).incident.line);
    expect(lines.filter((line) => line.startsWith(linePrefix(victim))).length).toBeGreaterThanOrEqual(acked[victim]!.size);
    console.log(
      `kill -9 under load: ${acked[victim]!.size} events acknowledged by the killed instance, ${acked[survivor]!.size} by the survivor, ${killLoad.length} stored; ${ids.length} deliveries, all received, all sent by the survivor`,
    );

    process.kill(instances[survivor]!.pid, "SIGTERM");
    expect((await instances[survivor]!.exited).code, instances[survivor]!.output()).toBe(0);
    expect(logLines(instances[survivor]!).some((l) => l.msg === "database pools closed; exiting")).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
