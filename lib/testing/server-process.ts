import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";

/**
 * The production server (dist/server.mjs) as a child process of a test: started on 127.0.0.1 and
 * a free port, addressed by its PID (node is spawned directly, so the PID is the server's own).
 */
export interface ServerProcess {
  pid: number;
  origin: string;
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
}

/** Builds .next and dist/server.mjs unless current (scripts/build.mjs locks, so concurrent callers wait). */
export function ensureProductionBuild(): void {
  const result = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { stdio: "pipe", encoding: "utf8" });
  if (result.status !== 0) throw new Error(`production build failed:\n${result.stdout}\n${result.stderr}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const READY_TIMEOUT_MS = 60_000;

/** Starts `node dist/server.mjs` with `env` (on `env.PORT`, else a free port) and waits until the webhook endpoint answers. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ["dist/server.mjs"], {
    cwd: process.cwd(),
    env: { ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (gone) throw new Error(`server exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    // GET on the webhook is answered (405) by the custom server itself once it listens.
    const ready = await fetch(`${origin}/api/webhooks/treble`).then(
      (r) => r.status === 405,
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: child.pid!, origin, child, exited, output: () => output };
}
