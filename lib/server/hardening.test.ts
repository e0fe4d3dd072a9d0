import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "@/db/client";
import type { Param } from "@/db/engine";
import { PgEngine } from "@/db/pg/engine";
import { migratePostgres } from "@/db/pg/migrate";
import { ENGINES, type EngineName } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS, startPgCluster, type PgCluster } from "@/lib/testing/pg-cluster";
import { ensureProductionBuild, startServerProcess, type ServerProcess } from "@/lib/testing/server-process";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";

// Issue 14's attacks, each sent over HTTP to the real production server (dist/server.mjs) in a
// child process. A second client address on loopback (127.0.0.2, 127.0.0.3) stands for "someone
// else" where the address matters. Each runs on SQLite (DATABASE_PATH) and on a database of a
// throwaway PostgreSQL cluster (DATABASE_URL).

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-hardening-"));
const children: ServerProcess[] = [];
const pools: PgEngine[] = [];
let cluster: PgCluster | undefined;
const ADMIN = { email: "admin@hardening.example", password: "hardening-password-1" };

beforeAll(() => ensureProductionBuild(), 15 * 60_000);
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) process.kill(c.pid, "SIGKILL");
  for (const pool of pools) await pool.close();
  cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One install's database on an engine: the servers' and scripts' env for it, and reads/writes from the test. */
interface Store {
  env: Record<string, string>;
  query<T>(sql: string, params?: readonly Param[]): Promise<T[]>;
  /** Runs one write (SQLite's file is created and migrated first, as the server would). */
  write(sql: string, params: readonly Param[]): Promise<void>;
}

/** A new, empty database `name` on `engine` (PostgreSQL's migrated, so the test can write before a server starts). */
async function newStore(engine: EngineName, name: string): Promise<Store> {
  const file = path.join(dir, `${name}.db`);
  if (engine === "sqlite") {
    return {
      env: { DATABASE_PATH: file },
      query: async <T>(sql: string, params: readonly Param[] = []) =>
        readDb(file, (db) => db.prepare(sql).all(...params) as T[]),
      write: async (sql, params) => {
        const { sqlite } = openDatabase(file);
        try {
          sqlite.prepare(sql).run(...params);
        } finally {
          sqlite.close();
        }
      },
    };
  }
  cluster ??= await startPgCluster();
  const url = cluster.createDatabase(name);
  await migratePostgres(url);
  const pool = PgEngine.open(url);
  pools.push(pool);
  // DATABASE_PATH too, never opened: a stray SQLite file would not stand in for the PostgreSQL database.
  return { env: { DATABASE_URL: url, DATABASE_PATH: file }, query: <T>(sql: string, params?: readonly Param[]) => pool.query<T>(sql, params),
    write: async (sql, params) => void (await pool.exec(sql, params)),
  };
}

/** `SELECT count(*) AS n …`'s n as a number (PostgreSQL's count is a bigint). */
async function count(store: Store, sql: string): Promise<number> {
  const [row] = await store.query<{ n: number | string }>(sql);
  return Number(row!.n);
}

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess(env);
  children.push(server);
  return server;
}

async function stop(server: ServerProcess): Promise<void> {
  process.kill(server.pid, "SIGTERM");
  expect((await server.exited).code, server.output()).toBe(0);
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The client address to connect from (any 127.x.y.z reaches a server on 127.0.0.1). */
  from?: string;
}

/** One request on its own connection (no pooling: which connections are open must be known). */
function send(origin: string, target: string, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(target, origin), {
      method: options.method ?? "GET",
      headers: options.headers,
      agent: false,
      localAddress: options.from ?? "127.0.0.1",
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const json = (body: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/**
 * POSTs a body of `total` bytes over a raw connection. With `declareLength`, only the headers
 * (Content-Length: total) are sent and the answer awaited; otherwise the body goes out in 16 KiB
 * chunks (chunked encoding), a little at a time, until the answer starts arriving. Returns the
 * answer and how many body bytes had been sent by then.
 */
function streamBody(origin: string, target: string, total: number, declareLength: boolean, extraHeaders: Record<string, string> = {}): Promise<Answer & { sent: number }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    let sent = 0;
    let settled = false;
    const finish = () => {
      if (settled) return;
      const answer = parseAnswer(received);
      if (!answer) return;
      settled = true;
      socket.destroy();
      resolve({ ...answer, sent });
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish();
    });
    // The server may close the connection on its answer while the body is still being sent.
    socket.on("error", () => {});
    socket.on("close", () => {
      finish();
      if (!settled) reject(new Error(`connection closed without a complete answer: ${received.toString().slice(0, 200)}`));
    });
    socket.once("connect", async () => {
      const headers = { host: `${hostname}:${port}`, "content-type": "application/json", ...extraHeaders, ...(declareLength ? { "content-length": String(total) } : { "transfer-encoding": "chunked" }) };
      socket.write(`POST ${target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
      if (declareLength) return;
      const chunk = Buffer.alloc(16 * 1024, "a");
      while (received.length === 0 && sent < total && !socket.destroyed) {
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write("\r\n");
        sent += chunk.length;
        await new Promise((r) => setTimeout(r, 2));
      }
      if (received.length === 0 && !socket.destroyed) socket.write("0\r\n\r\n");
    });
  });
}

/** A complete HTTP/1.1 answer (Content-Length or chunked body) from raw bytes; null while incomplete. */
function parseAnswer(raw: Buffer): Answer | null {
  const text = raw.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let rest = raw.subarray(end + 4);
  let body: Buffer;
  if (headers["content-length"] !== undefined) {
    if (rest.length < Number(headers["content-length"])) return null;
    body = rest.subarray(0, Number(headers["content-length"]));
  } else {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = rest.indexOf("\r\n");
      if (lineEnd < 0) return null;
      const size = parseInt(rest.subarray(0, lineEnd).toString(), 16);
      if (size === 0) break;
      if (rest.length < lineEnd + 2 + size + 2) return null;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, body: body.toString("utf8") };
}

async function signIn(origin: string, email: string, password: string, from = "127.0.0.1"): Promise<Answer> {
  return send(origin, "/api/auth/sign-in/email", { method: "POST", from, ...json({ email, password }) });
}

const cookieOf = (answer: Answer) => (answer.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]!).join("; ");

/** The hidden fields React renders into a server-action form (posted as-is, they call the action without JavaScript). */
function actionFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?\/>/g)) {
    fields[name!] = (value ?? "").replaceAll("&quot;", '"').replaceAll("&amp;", "&");
  }
  return fields;
}

/** A multipart form body (fields in the order given), as a browser posts a form. */
function multipart(fields: Record<string, string> | Array<[string, string]>): { headers: Record<string, string>; body: Buffer } {
  const boundary = "----faultline-test-boundary";
  const parts = (Array.isArray(fields) ? fields : Object.entries(fields)).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return { headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body: Buffer.from(`${parts.join("")}--${boundary}--\r\n`) };
}

function readDb<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function npmRun(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", script, "--", ...args], { cwd: process.cwd(), env: { ...process.env, NODE_ENV: "production", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const SETUP_URL = /\/setup\?code=([A-Za-z0-9_-]+)/g;
const setupCodes = (output: string) => [...output.matchAll(SETUP_URL)].map((m) => m[1]!);
const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe.each(ENGINES)("on %s", (name) => {
  describe("a fresh install", () => {
    let store: Store;
    let env: Record<string, string>;
    const users = () => count(store, "SELECT count(*) AS n FROM users");
    let server: ServerProcess;
    let firstCode = "";
    let secret = "";

    beforeAll(async () => {
      store = await newStore(name, `fresh_${name}`);
      env = { ...store.env, LOG_LEVEL: "info" };
    }, CLUSTER_START_TIMEOUT_MS);

    it("prints a one-time setup URL with ≥ 128 random bits; /setup without it answers 403 and creates nothing", async () => {
      server = await start(env);
      const codes = setupCodes(server.output());
      expect(codes).toHaveLength(1);
      firstCode = codes[0]!;
      expect(Buffer.from(firstCode, "base64url").length).toBeGreaterThanOrEqual(16);

      for (const target of ["/setup", "/setup?code=", "/setup?code=wrong", `/setup?code=${firstCode.slice(0, -1)}`]) {
        const answer = await send(server.origin, target);
        expect(answer.status, target).toBe(403);
        expect(answer.body).not.toContain('name="password"');
      }
      const page = await send(server.origin, `/setup?code=${firstCode}`);
      expect(page.status).toBe(200);
      const fields = actionFields(page.body);
      expect(fields.code).toBe(firstCode);

      // The form's action, posted without JavaScript: without the code in the URL the server
      // refuses it; with a wrong code in the form, the action refuses it.
      const attempt = (target: string, code: string) => {
        const form = multipart({ ...fields, code, email: "intruder@evil.example", password: "intruder-password", confirm: "intruder-password" });
        return send(server.origin, target, { method: "POST", headers: { origin: server.origin, ...form.headers }, body: form.body });
      };
      const noCode = await attempt("/setup", firstCode);
      expect(noCode.status).toBe(403);
      expect(JSON.parse(noCode.body)).toMatchObject({ error: { code: "forbidden" } });
      expect((await attempt("/setup?code=wrong", "wrong")).status).toBe(403);
      const wrongInForm = await attempt(`/setup?code=${firstCode}`, "wrong");
      expect(wrongInForm.body).toContain("This setup link is not valid");
      expect(await users()).toBe(0);
      // The unauthenticated pages point to the start log instead of a claimable form.
      expect((await send(server.origin, "/login")).body).toContain("setup URL printed in the server");
    }, 120_000);

    it("prints the generated webhook URL on that first start only", async () => {
      const printed = /\/api\/webhooks\/treble\?token=([A-Za-z0-9_-]+)/.exec(server.output());
      expect(printed).not.toBeNull();
      secret = printed![1]!;
      const delivered = await send(server.origin, `/api/webhooks/treble?token=${secret}`, { method: "POST", ...json(failureEvent()) });
      expect(delivered.status).toBe(200);
      // Not inside the JSON log records.
      for (const line of server.output().split("\n").filter((l) => l.startsWith("{"))) expect(line).not.toContain(secret);
    });

    // SQLite's files and db:backup (a SQLite file copy) have no PostgreSQL counterpart.
    if (name === "sqlite") it("creates the database, its WAL and SHM, and backups owner-only (0600)", async () => {
      const dbFile = store.env.DATABASE_PATH!;
      for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) expect(mode(f).toString(8), f).toBe("600");
      const backup = path.join(dir, `fresh-backup_${name}.db`);
      const run = await npmRun("db:backup", [backup], { DATABASE_PATH: dbFile });
      expect(run.code, run.stderr).toBe(0);
      expect(mode(backup).toString(8)).toBe("600");
    }, 60_000);

    it("sends no HSTS over plain http", async () => {
      expect((await send(server.origin, "/login")).headers["strict-transport-security"]).toBeUndefined();
    });

    it("issues a new code at each start (the old one dies), no longer prints the secret, and closes setup once the admin exists", async () => {
      await stop(server);
      server = await start(env);
      const [secondCode] = setupCodes(server.output());
      expect(secondCode).toBeDefined();
      expect(secondCode).not.toBe(firstCode);
      expect(server.output()).not.toContain(secret);
      expect(server.output()).toContain("Webhook URL for Treble's webhook center: sign in as an admin and open http://127.0.0.1:");
      await expect.poll(() => server.output(), { timeout: 5_000 }).toContain("admins see the full webhook URL on /settings");
      expect((await send(server.origin, `/setup?code=${firstCode}`)).status).toBe(403);

      const page = await send(server.origin, `/setup?code=${secondCode}`);
      expect(page.status).toBe(200);
      const form = multipart({ ...actionFields(page.body), email: ADMIN.email, password: ADMIN.password, confirm: ADMIN.password });
      const created = await send(server.origin, `/setup?code=${secondCode}`, { method: "POST", headers: { origin: server.origin, ...form.headers }, body: form.body });
      expect(created.status, created.body.slice(0, 300)).toBe(303);
      expect(created.headers.location).toBe("/");
      expect(await users()).toBe(1);

      // The code died with the admin's creation.
      const after = await send(server.origin, `/setup?code=${secondCode}`);
      expect(after.status).toBe(307);
      expect(after.headers.location).toMatch(/\/login$/);
      expect(await count(store, "SELECT count(*) AS n FROM settings WHERE key LIKE 'setup_code%'")).toBe(0);
      await stop(server);
      server = await start(env);
      expect(setupCodes(server.output())).toEqual([]);
      await stop(server);
    }, 120_000);
  });

  describe("an install with an admin, served as https://", () => {
    let store: Store;
    let server: ServerProcess;
    let origin = "";
    let cookie = "";

    beforeAll(async () => {
      store = await newStore(name, `main_${name}`);
      server = await start({
        ...store.env,
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        PUBLIC_URL: "https://faultline.example",
        SIGN_IN_RATE_LIMIT: "100",
      });
      origin = server.origin;
      const signedIn = await signIn(origin, ADMIN.email, ADMIN.password);
      expect(signedIn.status).toBe(200);
      cookie = cookieOf(signedIn);
    }, 120_000 + CLUSTER_START_TIMEOUT_MS);

    it("keeps every redirect after sign-in on this origin, whatever ?next= holds", async () => {
      const attacks = [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "///evil.example",
        "https://evil.example/",
        "/%2F/evil.example",
        "%09//evil.example",
        "javascript:alert(1)",
      ];
      for (const next of attacks) {
        // A signed-in user visiting /login is sent on to ?next= at once.
        const answer = await send(origin, `/login?next=${next}`, { headers: { cookie } });
        expect(answer.status, next).toBe(307);
        expect(new URL(answer.headers.location!, origin).origin, next).toBe(origin);
        expect(answer.headers.location, next).toBe("/");
      }
      const fine = await send(origin, `/login?next=${encodeURIComponent("/failures?range=7d")}`, { headers: { cookie } });
      expect(fine.headers.location).toBe("/failures?range=7d");

      // The sign-in form's action, posted as a browser without JavaScript would.
      const page = await send(origin, "/login");
      for (const next of ["/\t/evil.example", "/\\evil.example"]) {
        const form = multipart({ ...actionFields(page.body), next, email: ADMIN.email, password: ADMIN.password });
        const signedIn = await send(origin, "/login", { method: "POST", headers: { origin, ...form.headers }, body: form.body });
        expect(signedIn.status).toBe(303);
        expect(signedIn.headers.location).toBe("/");
      }
    });

    it("sends HSTS on pages, API answers and the webhook's own answers", async () => {
      const answers = [
        await send(origin, "/login"),
        await send(origin, "/api/health"),
        await send(origin, "/api/webhooks/treble?token=wrong", { method: "POST", ...json(failureEvent()) }),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 200, 401]);
      for (const a of answers) expect(a.headers["strict-transport-security"]).toBe("max-age=31536000");
    });

    it("answers 413 to a body over 64 KiB on /api/auth/*, /login and /setup before receiving it whole", async () => {
      const total = 10 * 1024 * 1024;
      for (const target of ["/api/auth/sign-out", "/api/auth/sign-in/email", "/login", "/setup"]) {
        // Content-Length is checked first: the answer comes before any of the body is sent.
        const declared = await streamBody(origin, target, total, true, { origin });
        expect(declared.status, target).toBe(413);
        expect(declared.sent).toBe(0);
        expect(JSON.parse(declared.body)).toMatchObject({ error: { code: "payload_too_large" } });
        const chunked = await streamBody(origin, target, total, false, { origin });
        expect(chunked.status, target).toBe(413);
        expect(chunked.sent, target).toBeLessThan(256 * 1024);
      }
      // Many at once do not make the server hold them: its memory stays flat.
      const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, "utf8"))![1]) * 1024;
      const before = rss();
      const flood = await Promise.all(Array.from({ length: 24 }, () => streamBody(origin, "/api/auth/sign-out", 16 * 1024 * 1024, false)));
      for (const a of flood) expect(a.status).toBe(413);
      expect(rss() - before).toBeLessThan(64 * 1024 * 1024);
    }, 60_000);

    it("caps other API writes at 1 MiB and hands bodies within the limits to the app untouched", async () => {
      const large = await streamBody(origin, "/api/users", 4 * 1024 * 1024, false, { origin, cookie });
      expect(large.status).toBe(413);
      expect(JSON.parse(large.body).error.message).toContain(String(1024 * 1024));
      // Under 1 MiB it reaches the route, whose own JSON limit answers.
      const medium = await streamBody(origin, "/api/users", 512 * 1024, false, { origin, cookie });
      expect(medium.status).toBe(413);
      expect(JSON.parse(medium.body).error.message).toContain(String(64 * 1024));
      // A sign-in sent in chunks is held, checked and replayed to the app intact.
      const body = Buffer.from(JSON.stringify({ email: ADMIN.email, password: ADMIN.password }));
      const chunked = await new Promise<number>((resolve, reject) => {
        const req = http.request(new URL("/api/auth/sign-in/email", origin), { method: "POST", headers: { "content-type": "application/json" }, agent: false });
        req.on("response", (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.write(body.subarray(0, 10));
        setTimeout(() => req.end(body.subarray(10)), 50);
      });
      expect(chunked).toBe(200);
    }, 60_000);

    it("resolves time-zone spellings to one zone (the formatter cache keys on it)", async () => {
      const variants = Array.from({ length: 200 }, (_, i) =>
        [..."America/Bogota"].map((ch, j) => ((i >> j) & 1 ? ch.toUpperCase() : ch.toLowerCase())).join(""),
      );
      const window = "from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z";
      const canonical = await send(origin, `/api/stats?${window}&tz=America/Bogota`, { headers: { cookie } });
      expect(canonical.status).toBe(200);
      // The answers differ only in the zone's name as given.
      const withoutZoneName = (body: string) => {
        const parsed = JSON.parse(body) as { window: { tz?: string } };
        delete parsed.window.tz;
        return JSON.stringify(parsed);
      };
      for (const tz of new Set(variants)) {
        const answer = await send(origin, `/api/stats?${window}&tz=${tz}`, { headers: { cookie } });
        expect(answer.status, tz).toBe(200);
        expect(withoutZoneName(answer.body), tz).toBe(withoutZoneName(canonical.body));
      }
      // A name that resolves to no zone is refused.
      expect((await send(origin, `/api/stats?${window}&tz=${encodeURIComponent("america/bogotá")}`, { headers: { cookie } })).status).toBe(400);
    }, 60_000);

    it("locks an (account, address) pair, not the account: the right password from another address signs in; user:unlock clears it", async () => {
      for (let i = 1; i <= 5; i++) {
        const wrong = await signIn(origin, ADMIN.email, "wrong-password-1");
        expect(wrong.status, `attempt ${i}: ${wrong.body}`).toBe(i < 5 ? 401 : 429);
      }
      const locked = await signIn(origin, ADMIN.email, ADMIN.password);
      expect(locked.status).toBe(429);
      expect(JSON.parse(locked.body)).toMatchObject({ code: "SIGN_IN_LOCKED" });

      const started = Date.now();
      const elsewhere = await signIn(origin, ADMIN.email, ADMIN.password, "127.0.0.2");
      expect(elsewhere.status).toBe(200);
      // Slowed down: the account had just been guessed at.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect((await signIn(origin, ADMIN.email, ADMIN.password)).status).toBe(429);

      const unlock = await npmRun("user:unlock", ["--email", ADMIN.email.toUpperCase()], store.env);
      expect(unlock.code, unlock.stderr).toBe(0);
      expect(unlock.stdout).toContain(`account ${ADMIN.email}`);
      expect((await signIn(origin, ADMIN.email, ADMIN.password)).status).toBe(200);
      const audit = await store.query("SELECT action, target, ip FROM audit_log WHERE action IN ('lockout', 'lockout_cleared') ORDER BY id");
      expect(audit).toEqual([
        { action: "lockout", target: `account ${ADMIN.email} from address 127.0.0.1`, ip: "127.0.0.1" },
        { action: "lockout_cleared", target: `account ${ADMIN.email}`, ip: null },
      ]);
    }, 60_000);
  });

  describe("an install with tight limits and old records", () => {
    let store: Store;
    const DAY = 86_400_000;
    let server: ServerProcess;
    let origin = "";

    beforeAll(async () => {
      // Audit entries and throttle records from long ago, written before the server starts.
      store = await newStore(name, `limits_${name}`);
      const now = Date.now();
      const audit = "INSERT INTO audit_log (at, action, target) VALUES (?, 'sign_in_failed', ?)";
      await store.write(audit, [now - 40 * DAY, "forty days ago"]);
      await store.write(audit, [now - 10 * DAY, "ten days ago"]);
      const throttle = "INSERT INTO sign_in_throttle (key, failures, window_start, locked_until) VALUES (?, ?, ?, ?)";
      await store.write(throttle, ["ip:192.0.2.1", 0, now - DAY, now - DAY + 15 * 60_000]);
      await store.write(throttle, ["ip:192.0.2.2", 0, now - 60_000, now + 14 * 60_000]);
      server = await start({
        ...store.env,
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        SIGN_IN_RATE_LIMIT: "3",
        MAX_CONNECTIONS_PER_IP: "4",
        AUDIT_RETENTION_DAYS: "30",
      });
      origin = server.origin;
    }, 120_000 + CLUSTER_START_TIMEOUT_MS);

    it("prunes audit entries past AUDIT_RETENTION_DAYS and throttle records that ran out", async () => {
      const left = async () => ({
        audit: (await store.query<{ target: string }>("SELECT target FROM audit_log WHERE target LIKE '%days ago' ORDER BY id")).map((r) => r.target),
        throttle: (await store.query<{ key: string }>("SELECT key FROM sign_in_throttle ORDER BY key")).map((r) => r.key),
      });
      await expect.poll(left, { timeout: 10_000 }).toEqual({ audit: ["ten days ago"], throttle: ["ip:192.0.2.2"] });
    });

    it("rate-limits server actions posted to any page, as sign-ins", async () => {
      const login = await send(origin, "/login");
      const signInActionId = (JSON.parse(actionFields(login.body)["$ACTION_1:0"]!) as { id: string }).id;
      const failures = () => count(store, "SELECT count(*) AS n FROM audit_log WHERE action = 'sign_in_failed' AND ip = '127.0.0.1'");
      // The sign-in action routed by its Next-Action header to a page that is not /login (with any
      // session cookie, to get past the optimistic page gate).
      const viaHeader = () => {
        // React's encoding of (previousState, formData): the FormData's fields, then the arguments.
        const form = multipart([
          ["_1_email", ADMIN.email],
          ["_1_password", "wrong-password-1"],
          ["_1_next", "/"],
          ["0", '[{},"$K1"]'],
        ]);
        return send(origin, "/reasons", {
          method: "POST",
          headers: { origin, cookie: "faultline.session_token=forged", "next-action": signInActionId, accept: "text/x-component", ...form.headers },
          body: form.body,
        });
      };
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await viaHeader());
      expect(answers.slice(0, 3).map((a) => a.status)).toEqual([200, 200, 200]);
      // They were sign-in attempts…
      expect(await failures()).toBe(3);
      // …and the fourth within the minute is refused before it runs.
      expect(answers[3]!.status).toBe(429);
      expect(JSON.parse(answers[3]!.body)).toMatchObject({ error: { code: "rate_limited" } });
      expect(answers[3]!.headers["retry-after"]).toBeDefined();
      expect(await failures()).toBe(3);
      // So is the same action posted without JavaScript to yet another page; reading is not limited.
      const form = multipart({ ...actionFields(login.body), email: ADMIN.email, password: "wrong-password-1" });
      expect((await send(origin, "/templates", { method: "POST", headers: { origin, cookie: "faultline.session_token=forged", ...form.headers }, body: form.body })).status).toBe(429);
      expect((await send(origin, "/login")).status).toBe(200);
      expect(await failures()).toBe(3);
    });

    it("caps open connections per client address (MAX_CONNECTIONS_PER_IP) while other addresses are served", async () => {
      /** A connection from `from` (that sends half a request and waits); resolves once it is established. */
      const hold = (from: string, halfRequest = true) =>
        new Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }>((resolve, reject) => {
          const socket = net.connect({ host: "127.0.0.1", port: Number(new URL(origin).port), localAddress: from });
          let received = "";
          socket.on("data", (c: Buffer) => (received += c.toString()));
          const closed = new Promise<void>((done) => socket.once("close", () => done()));
          socket.on("error", () => {});
          socket.once("connect", () => {
            if (halfRequest) socket.write("GET /api/health HTTP/1.1\r\nHost: x\r\n");
            resolve({ socket, received: () => received, closed });
          });
          socket.once("error", reject);
        });
      const attacker = "127.0.0.3";
      const held = [];
      for (let i = 0; i < 4; i++) held.push(await hold(attacker));
      const refused = await hold(attacker, false);
      await refused.closed;
      expect(refused.received()).toMatch(/^HTTP\/1\.1 429 /);
      for (const h of held) expect(h.socket.destroyed).toBe(false);

      expect((await send(origin, "/api/health", { from: "127.0.0.2" })).status).toBe(200);
      held.pop()!.socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await send(origin, "/api/health", { from: attacker })).status).toBe(200);
      for (const h of held) h.socket.destroy();
    });
  });
});
