// What the query and export benchmarks share: a seeded database reused across runs, an API token
// on it, and the production server started on it as a child (its PID is the server's).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import Database from "better-sqlite3";

export const HOST = "127.0.0.1";

/**
 * Seeds `rows` failures over 90 days into `dbFile` (scripts/seed-demo.ts), unless it holds them.
 * Returns how long seeding took, or null when the file was reused.
 */
export function ensureSeeded(dbFile: string, rows: number): number | null {
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  if (fs.existsSync(dbFile)) {
    const sqlite = new Database(dbFile, { readonly: true });
    const { n } = sqlite.prepare("SELECT count(*) AS n FROM failures").get() as { n: number };
    sqlite.close();
    if (n >= rows) {
      console.log(`Reusing ${dbFile} (${n.toLocaleString("en-US")} failures)`);
      return null;
    }
  }
  console.log(`Seeding ${rows.toLocaleString("en-US")} failures over 90 days into ${dbFile} …`);
  const started = Date.now();
  const seed = spawnSync(process.execPath, ["--import", "tsx", "scripts/seed-demo.ts", "--db", dbFile, "--reset", "--failures", String(rows), "--days", "90", "--batch", "20000"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (seed.status !== 0) throw new Error("seeding failed");
  const seededMs = Date.now() - started;
  console.log(`Seeded in ${(seededMs / 1000).toFixed(0)} s`);
  return seededMs;
}

/** A user with `role` and a new API token for it on the bench database (the API needs one). */
export function benchToken(dbFile: string, user: { email: string; role: "viewer" | "operator"; tokenName: string }): string {
  const env = { ...process.env, DATABASE_PATH: dbFile };
  // Fails harmlessly when the user exists from an earlier run on the same database.
  spawnSync(process.execPath, ["--import", "tsx", "scripts/user-create.ts", "--email", user.email, "--password", "bench-password-0123", "--role", user.role], { env, stdio: "ignore" });
  const created = spawnSync(process.execPath, ["--import", "tsx", "scripts/token-create.ts", "--email", user.email, "--name", user.tokenName], { env, encoding: "utf8" });
  if (created.status !== 0) throw new Error(`token:create failed: ${created.stderr}`);
  return created.stdout.trim().split("\n").at(-1)!;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Builds if stale, starts `node dist/server.mjs` on `dbFile` and waits until it is healthy. */
export async function startServer(port: number, dbFile: string, webhookSecret: string): Promise<ChildProcess> {
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { stdio: "inherit" });
  if (build.status !== 0) throw new Error("build failed");
  const child = spawn(process.execPath, ["dist/server.mjs"], {
    env: { ...process.env, NODE_ENV: "production", HOST, PORT: String(port), DATABASE_PATH: dbFile, WEBHOOK_SECRET: webhookSecret },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error("server exited during start");
    try {
      if ((await fetch(`http://${HOST}:${port}/api/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("server did not become healthy");
}

/** The options every database benchmark takes: `--rows` (seeded failures) and `--db` (the file). */
export const databaseOptions = (defaultRows: number) => ({ rows: { type: "string", default: String(defaultRows) }, db: { type: "string" } }) as const;

/** Validated `--rows`, and `--db` or the seeded file the query, export and isolation benchmarks share. */
export function benchDatabase(values: { rows?: string; db?: string }): { rows: number; dbFile: string } {
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 10_000 || rows > 20_000_000) throw new Error("--rows must be 10000…20000000");
  return { rows, dbFile: path.resolve(values.db ?? `bench-results/queries-${rows}.db`) };
}

/** Reads a response body to its end without keeping it (a full CSV export is 190 MB at 10M). */
export async function drainBody(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  while (!(await reader.read()).done);
}

/** The p-th percentile (nearest rank) of `samples`; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Writes a run's figures to bench-results/<name>-<time>.json and says where. */
export function writeResults(name: string, results: unknown): void {
  fs.mkdirSync("bench-results", { recursive: true });
  const out = path.join("bench-results", `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`\nResults written to ${out}`);
}

/** Runs a benchmark's `main`, which returns what missed its target: printed as FAIL lines, exit 1. */
export function runBench(main: () => Promise<string[]>): void {
  main().then(
    (problems) => {
      for (const p of problems) console.error(`FAIL: ${p}`);
      process.exit(problems.length ? 1 : 0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
