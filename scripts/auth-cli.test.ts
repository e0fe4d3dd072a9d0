import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import type { PgEngine } from "@/db/pg/engine";
import { authenticateApiToken } from "@/lib/auth/tokens";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";

// The operators' CLIs, run for real through npm (as documented) on this file's temporary SQLite
// database (DATABASE_PATH), or with DATABASE_URL on its PostgreSQL database.
const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** DATABASE_URL for the PostgreSQL runs; unset (DATABASE_PATH, inherited) for SQLite. */
let databaseUrl: string | undefined;

function npmRun(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", script, "--", ...args], {
      cwd: process.cwd(),
      env: { ...process.env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), NODE_ENV: "production" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const lastLine = (text: string) => text.trimEnd().split("\n").pop()!;

describe.each(ENGINES)("on %s", (engine) => {
  beforeAll(async () => {
    const current = await databases.use(engine);
    databaseUrl = engine === "postgres" ? (current as PgEngine).pool.options.connectionString : undefined;
  }, CLUSTER_START_TIMEOUT_MS);

  describe("npm run user:create / token:create", () => {
    it("creates a user, then a token printed once, alone on the last line, that authenticates as them", async () => {
      const user = await npmRun("user:create", ["--email", "Ops@Example.com", "--password", "a long enough password", "--role", "operator", "--name", "Ops"]);
      expect(user.code, user.stderr).toBe(0);
      expect(user.stdout).toContain("Created operator ops@example.com");

      const token = await npmRun("token:create", ["--email", "ops@example.com", "--name", "cron"]);
      expect(token.code, token.stderr).toBe(0);
      const printed = lastLine(token.stdout);
      expect(printed).toMatch(/^flt_[A-Za-z0-9_-]{43}$/);
      expect(token.stdout.split(printed)).toHaveLength(2);
      expect(await authenticateApiToken(printed)).toMatchObject({ email: "ops@example.com", role: "operator" });
      const audit = await getEngine().query("SELECT action, actor_email FROM audit_log ORDER BY id");
      expect(audit).toEqual([
        { action: "user_created", actor_email: null },
        { action: "token_created", actor_email: null },
      ]);
    }, 60_000);

    it("fails with a message and a non-zero exit for bad input", async () => {
      const taken = await npmRun("user:create", ["--email", "ops@example.com", "--password", "a long enough password", "--role", "viewer"]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain("already exists");
      const role = await npmRun("user:create", ["--email", "x@example.com", "--password", "a long enough password", "--role", "owner"]);
      expect(role.code).toBe(1);
      expect(role.stderr).toContain("role must be one of admin, operator, viewer");
      const missing = await npmRun("user:create", ["--email", "x@example.com"]);
      expect(missing.code).toBe(2);
      const unknown = await npmRun("token:create", ["--email", "nobody@example.com"]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("No user with e-mail nobody@example.com");
    }, 60_000);
  });

  describe("npm run user:unlock", () => {
    it("needs an account or an address, and says when there was nothing to clear", async () => {
      const missing = await npmRun("user:unlock", []);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("--email (and/or --ip) is required");
      const nothing = await npmRun("user:unlock", ["--email", "calm@example.com"]);
      expect(nothing.code, nothing.stderr).toBe(0);
      expect(nothing.stdout).toContain("nothing to clear");
      expect(await getEngine().query("SELECT target FROM audit_log WHERE action = 'lockout_cleared'")).toEqual([{ target: "account calm@example.com" }]);
    }, 60_000);
  });
});
