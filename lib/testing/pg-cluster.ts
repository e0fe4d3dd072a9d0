import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * A throwaway PostgreSQL cluster for tests: Debian's `initdb`/`pg_ctl` in a fresh temp dir,
 * listening on 127.0.0.1 only, with one database and one password role. No Docker.
 * Start it once per test file (beforeAll) and stop it in afterAll.
 */
export interface PgCluster {
  /** `postgres://faultline:<password>@127.0.0.1:<port>/faultline` */
  url: string;
  port: number;
  /** A URL for another, freshly created database in the same cluster. */
  createDatabase(name: string): string;
  /** Stops the server at once (pg_ctl -m immediate) and deletes its directory. */
  stop(): void;
}

const ROLE = "faultline";

/** For a beforeAll that starts a cluster (and migrates it): ~1.5 s idle, far more on a loaded machine. */
export const CLUSTER_START_TIMEOUT_MS = 60_000;

/** The newest PostgreSQL server binaries Debian installed, or undefined when none is installed. */
export function findPostgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(root, versions[0], "bin");
}

/** A TCP port free on 127.0.0.1 right now (PG_TEST_PORT_BASE..+19 when set, else any). */
async function freePort(): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, "127.0.0.1", () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
  const base = Number(process.env.PG_TEST_PORT_BASE ?? 0);
  if (base > 0) {
    for (let p = base; p < base + 20; p++) {
      const port = await tryPort(p);
      if (port !== undefined) return port;
    }
  }
  const port = await tryPort(0);
  if (port === undefined) throw new Error("no free port on 127.0.0.1");
  return port;
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-pg-"));
  const data = path.join(dir, "data");
  const password = crypto.randomBytes(12).toString("hex");
  // initdb refuses to run as root: the cluster then belongs to the postgres user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  const run = (file: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : file, asRoot ? ["-u", "postgres", "--", file, ...args] : args, { stdio: "pipe" });

  // fsync off: the cluster is thrown away, and tests then spend no time waiting on the disk.
  run(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]);
  // Another test file may take the port between the probe and the server's bind: then another port.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
    try {
      run(path.join(bin, "pg_ctl"), ["-D", data, "-o", options, "-l", path.join(dir, "server.log"), "-w", "start"]);
      break;
    } catch (err) {
      const log = fs.readFileSync(path.join(dir, "server.log"), "utf8");
      if (attempt >= 5 || !log.includes("could not bind")) throw err;
    }
  }

  const psql = (sql: string, database = "postgres") =>
    run(path.join(bin, "psql"), ["-h", dir, "-p", String(port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql]);
  const stop = () => {
    try {
      run(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    psql(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${password}'`);
    const createDatabase = (name: string) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      psql(`CREATE DATABASE ${name} OWNER ${ROLE}`);
      return `postgres://${ROLE}:${password}@127.0.0.1:${port}/${name}`;
    };
    return { url: createDatabase("faultline"), port, createDatabase, stop };
  } catch (err) {
    stop();
    throw err;
  }
}
