import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import Database from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { LOCK_WAIT_MS, type Engine } from "@/db/engine";
import { PgEngine } from "@/db/pg/engine";
import { parseSettings } from "@/lib/config";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { hostileRequest } from "@/lib/testing/hostile-bodies";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { seededRandom, testSeed } from "@/lib/testing/prng";
import { clearDataTables, rowCountsOn, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectAccepted, expectError, type WebhookAnswer } from "@/lib/testing/webhook-client";
import { createAppServer, type RequestHandler, type ServerTimeouts } from "./app-server";

const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });

// The real node:http listener of the production server (routing, limits, timeouts), with a stub
// in place of Next for everything that is not the webhook.
const stubNext: RequestHandler = async (_req, res) => {
  res.writeHead(200, { "content-type": "text/plain" }).end("next");
};
const QUICK_TIMEOUTS: ServerTimeouts = { headersMs: 1_000, requestMs: 2_000, keepAliveMs: 1_000, checkEveryMs: 250 };

const servers: http.Server[] = [];
async function listen(env: Record<string, string> = {}, timeouts?: ServerTimeouts): Promise<string> {
  const server = createAppServer(parseSettings({ ...process.env, ...env }), stubNext, timeouts);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await databases.cleanup();
});

const url = (base: string, token = true) => `${base}/api/webhooks/treble${token ? `?token=${TEST_WEBHOOK_SECRET}` : ""}`;

async function post(base: string, body: string | Uint8Array, init: { token?: boolean; contentType?: string | null; headers?: Record<string, string> } = {}): Promise<WebhookAnswer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.contentType !== null) headers["content-type"] = init.contentType ?? "application/json";
  const res = await fetch(url(base, init.token ?? true), { method: "POST", headers, body: typeof body === "string" ? body : Buffer.from(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw socket that sends `head` and then one more byte of `rest` every `everyMs`, until closed. */
function trickle(base: string, head: string, rest: string, everyMs: number): Promise<number> {
  const { port } = new URL(base);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => {
      socket.write(head);
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || i >= rest.length) return;
        socket.write(rest[i++]!);
      }, everyMs);
      socket.on("close", () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      });
    });
    socket.on("error", () => {});
    socket.on("data", () => {});
  });
}

describe.each(ENGINES)("app server on %s", (name) => {
  let engine: Engine;
  let origin = "";
  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens.
    await webhookSecretAtStart();
    await readFieldMapping();
    origin = await listen({}, QUICK_TIMEOUTS);
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(() => clearDataTables(engine));

  describe("hostile input", () => {
    it("refuses thousands of mis-framed bodies with a 4xx and quarantines bad content (200, never a failure), staying up", async () => {
      const seed = testSeed("FUZZ_SEED");
      console.log(`fuzz seed: ${seed} (replay with FUZZ_SEED=${seed})`);
      const random = seededRandom(seed);
      const TOTAL = 3000;
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const byKind = new Map<string, number>();
      const expected = { accepted: 0, quarantined: 0, refused: 0 };
      let next = 0;
      let failed = false;
      const worker = async () => {
        while (next < TOTAL && !failed) {
          const n = next++;
          const request = hostileRequest(random, n);
          byKind.set(request.kind, (byKind.get(request.kind) ?? 0) + 1);
          const answer = await post(origin, request.body, { token: request.withToken ?? true, contentType: request.contentType });
          const wanted = request.kept ? `200 ${JSON.stringify({ ok: true, accepted: request.kept.accepted, duplicates: 0, quarantined: request.kept.quarantined })}` : "4xx";
          const ok = request.kept ? answer.status === 200 : answer.status >= 400 && answer.status < 500;
          if (!ok) {
            failed = true;
            throw new Error(
              `seed ${seed}, body #${n} (${request.kind}): wanted ${wanted}, got ${answer.status} ${JSON.stringify(answer.json).slice(0, 300)}\n${Buffer.from(request.body).toString("latin1").slice(0, 300)}`,
            );
          }
          if (request.kept) {
            expectAccepted(answer, request.kept.accepted, 0, request.kept.quarantined);
            expected.accepted += request.kept.accepted;
            expected.quarantined += request.kept.quarantined;
          } else {
            expectError(answer, answer.status);
            expected.refused++;
          }
          if (n % 200 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      console.log(
        `fuzz: ${TOTAL} bodies — ${expected.refused} refused, ${expected.quarantined} events quarantined, ${expected.accepted} accepted — ${[...byKind].map(([k, v]) => `${k} ${v}`).join(", ")}; RSS ${Math.round(rssBefore / 2 ** 20)} → peak ${Math.round(peakRss / 2 ** 20)} MiB`,
      );

      const count = async (sql: string) => (await engine.one<{ n: number | null }>(sql))!.n;
      expect(expected.refused).toBeGreaterThan(0);
      expect(expected.quarantined).toBeGreaterThan(0);
      // Every quarantined event is kept, and none became a failure (nor anything else derived).
      expect(await count("SELECT count(*) AS n FROM raw_events WHERE problems IS NOT NULL")).toBe(expected.quarantined);
      expect(await count("SELECT count(*) AS n FROM failures f JOIN raw_events r ON r.id = f.raw_event_id WHERE r.problems IS NOT NULL")).toBe(0);
      // The good events of batches that held a bad one were accepted; refused bodies stored nothing.
      expect(await count("SELECT count(*) AS n FROM raw_events WHERE problems IS NULL")).toBe(expected.accepted);
      expect(await rowCountsOn(engine)).toEqual({ raw: expected.accepted + expected.quarantined, failures: expected.accepted, templateStatus: 0 });
      expect((await count("SELECT sum(failures) AS n FROM incidents")) ?? 0).toBe(expected.accepted);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(peakRss - rssBefore).toBeLessThan(300 * 2 ** 20);
      // Still serving.
      expectAccepted(await post(origin, JSON.stringify(failureEvent())), 1);
    }, 120_000);

    it("stores a duplicate storm (one event_id sent 100 times concurrently) exactly once", async () => {
      const body = JSON.stringify(failureEvent());
      const answers = await Promise.all(Array.from({ length: 100 }, () => post(origin, body)));
      for (const a of answers) expect(a.status).toBe(200);
      expect(answers.reduce((sum, a) => sum + (a.json as { accepted: number }).accepted, 0)).toBe(1);
      expect(await rowCountsOn(engine)).toEqual({ raw: 1, failures: 1, templateStatus: 0 });
      expect(await engine.query("SELECT failures FROM incidents")).toEqual([{ failures: 1 }]);
    });
  });

  describe("slow clients", () => {
    it("cuts connections that trickle headers or a body, while other requests are served", async () => {
      const path = `/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`;
      const body = JSON.stringify(failureEvent());
      const slow = [
        ...Array.from({ length: 10 }, () => trickle(origin, `POST ${path} HTTP/1.1\r\nHost: x\r\n`, "X-Slow: " + "a".repeat(500), 100)),
        ...Array.from({ length: 10 }, () =>
          trickle(origin, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body, 100),
        ),
      ];
      // Normal deliveries keep being answered quickly meanwhile.
      for (let i = 0; i < 10; i++) {
        const started = Date.now();
        expectAccepted(await post(origin, JSON.stringify(failureEvent())), 1);
        expect(Date.now() - started).toBeLessThan(1_000);
        await sleep(150);
      }
      const lifetimes = await Promise.all(slow);
      // Cut after the request timeout (2 s here) plus at most one check interval, not after the trickle ends.
      for (const ms of lifetimes) {
        expect(ms).toBeGreaterThanOrEqual(QUICK_TIMEOUTS.headersMs);
        expect(ms).toBeLessThan(QUICK_TIMEOUTS.requestMs + 4 * QUICK_TIMEOUTS.checkEveryMs + 1_000);
      }
      expect((await rowCountsOn(engine)).raw).toBe(10);
    }, 20_000);
  });

  describe("per-source rate limits", () => {
    it("answers 429 with Retry-After and the JSON error shape per client address, on the webhook and sign-in", async () => {
      const limited = await listen({ WEBHOOK_RATE_LIMIT: "2", WEBHOOK_RATE_BURST: "5", SIGN_IN_RATE_LIMIT: "3", TRUST_PROXY: "true" });
      const from = (ip: string) => ({ headers: { "x-forwarded-for": ip } });
      const answers = [];
      for (let i = 0; i < 7; i++) answers.push(await post(limited, JSON.stringify(failureEvent()), from("203.0.113.7")));
      expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      const refused = answers[6]!;
      expectError(refused, 429, "rate_limited");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // Another address has its own bucket.
      expectAccepted(await post(limited, JSON.stringify(failureEvent()), from("203.0.113.8")), 1);
      expect((await rowCountsOn(engine)).raw).toBeLessThanOrEqual(7);

      const signIn = (ip: string) =>
        fetch(`${limited}/api/auth/sign-in/email`, { method: "POST", headers: { "x-forwarded-for": ip, "content-type": "application/json" }, body: "{}" });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await signIn("198.51.100.1")).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const login = await fetch(`${limited}/login`, { method: "POST", headers: { "x-forwarded-for": "198.51.100.1" } });
      expect(login.status).toBe(429);
      expect(Number(login.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await login.json()).toMatchObject({ error: { code: "rate_limited" } });
      // Pages are not sign-in attempts, and other addresses are unaffected.
      expect((await fetch(`${limited}/login`, { headers: { "x-forwarded-for": "198.51.100.1" } })).status).toBe(200);
      expect((await signIn("198.51.100.2")).status).toBe(200);
    });
  });

  describe("when the database cannot be written", () => {
    const event = () => JSON.stringify(failureEvent());

    function expectUnavailable(answer: WebhookAnswer) {
      expectError(answer, 503, "service_unavailable");
      expect(answer.headers.get("retry-after")).toBe("5");
    }

    /** Another connection holds the lock every write needs while `fn` runs, then lets it go. */
    async function whileWriteLocked(fn: () => Promise<void>) {
      if (name === "sqlite") {
        const sqlite = getDb().sqlite;
        // The production wait is LOCK_WAIT_MS; the test need not sit through it.
        sqlite.pragma("busy_timeout = 200");
        const other = new Database(sqlite.name);
        try {
          other.exec("BEGIN IMMEDIATE");
          await fn();
          other.exec("ROLLBACK");
        } finally {
          other.close();
          sqlite.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
        }
        return;
      }
      // PostgreSQL has no database-wide write lock: a maintenance-style table lock that blocks
      // inserts (not reads) makes ingest wait out lock_timeout (LOCK_WAIT_MS) instead.
      const other = PgEngine.open(databases.postgresUrl(), 1);
      try {
        await other.transaction(async (tx) => {
          await tx.exec("LOCK TABLE raw_events IN EXCLUSIVE MODE");
          await fn();
        });
      } finally {
        await other.close();
      }
    }

    it("answers 503 while another connection holds the write lock past its wait, writes nothing, then recovers", { timeout: 30_000 }, async () => {
      await whileWriteLocked(async () => {
        const started = Date.now();
        expectUnavailable(await post(origin, event()));
        if (name === "postgres") {
          const waited = Date.now() - started;
          // The answer came from waiting out lock_timeout, not from some other failure…
          expect(waited).toBeGreaterThanOrEqual(LOCK_WAIT_MS - 100);
          // …once for the group: retrying its requests one by one would wait it out again for each.
          expect(waited).toBeLessThan(2 * LOCK_WAIT_MS);
        }
      });
      expect((await rowCountsOn(engine)).raw).toBe(0);
      expectAccepted(await post(origin, event()), 1);
    });

    // SQLite-only: max_page_count stages a full disk; a PostgreSQL cluster's disk cannot be filled from a test.
    if (name === "sqlite")
      it("answers 503 when the disk is full, then recovers", async () => {
      const sqlite = getDb().sqlite;
      // Earlier tests' deleted rows left free pages that would absorb these inserts: drop them first.
      sqlite.exec("VACUUM");
      const pages = sqlite.pragma("page_count", { simple: true }) as number;
      // The file may not grow: exactly what a full disk looks like to SQLite (SQLITE_FULL).
      sqlite.pragma(`max_page_count = ${pages}`);
      try {
        const answers = await Promise.all(Array.from({ length: 50 }, () => post(origin, JSON.stringify(failureEvent({ padding: "p".repeat(4000) })))));
        expect(answers.some((a) => a.status === 503)).toBe(true);
        for (const a of answers) expect([200, 503]).toContain(a.status);
        for (const a of answers.filter((x) => x.status === 503)) expectUnavailable(a);
      } finally {
        sqlite.pragma("max_page_count = 1073741823");
      }
      expectAccepted(await post(origin, event()), 1);
      expect(sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    });

    it("answers 503 when the database is read-only, then recovers", async () => {
      await databases.whileReadOnly(name, async () => {
        expectUnavailable(await post(origin, event()));
        expect((await rowCountsOn(engine)).raw).toBe(0);
      });
      expectAccepted(await post(origin, event()), 1);
    });

    /** Holds a read snapshot open on a connection of its own (as an export does) while `fn` runs. */
    async function whileReading(fn: () => Promise<void>) {
      if (name === "sqlite") {
        const reader = new Database(getDb().sqlite.name, { readonly: true });
        try {
          const rows = reader.prepare("SELECT id FROM raw_events").iterate();
          expect(rows.next().done).toBe(false); // the read snapshot is now held open
          await fn();
          rows.return?.();
        } finally {
          reader.close();
        }
        return;
      }
      const reader = PgEngine.open(databases.postgresUrl());
      try {
        await reader.transaction(
          async (tx) => {
            // The snapshot is taken by the first query and held until the transaction ends.
            expect((await tx.query("SELECT id FROM raw_events")).length).toBeGreaterThan(0);
            await fn();
          },
          { isolation: "repeatable read" },
        );
      } finally {
        await reader.close();
      }
    }

    it("keeps ingesting while a long read (an export's open read transaction) is in progress", async () => {
      for (let i = 0; i < 5; i++) expectAccepted(await post(origin, event()), 1);
      await whileReading(async () => {
        const started = Date.now();
        for (let i = 0; i < 5; i++) expectAccepted(await post(origin, event()), 1);
        expect(Date.now() - started).toBeLessThan(2_000);
      });
      expect((await rowCountsOn(engine)).raw).toBe(10);
    });
  });
});
