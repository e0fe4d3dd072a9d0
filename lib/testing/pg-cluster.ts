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
  /** Stops the server at once (pg_ctl -m immediate) and deletes its directory (a kept `dataDir`: a clean shutdown, data left). */
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

export interface PgClusterOptions {
  /**
   * Keep the cluster's data here, across runs: created by the first start, started again by later
   * ones (the role's password is set anew each time), left in place by stop() (a clean shutdown).
   * Default: a temp dir, deleted by stop().
   */
  dataDir?: string;
  /**
   * fsync, synchronous_commit and full_page_writes on, as a production server has them (a
   * benchmark's commits then cost what they cost). Default off: tests throw the cluster away.
   */
  durable?: boolean;
  /** More server settings (`-c name=value`), e.g. shared_buffers. */
  settings?: Record<string, string>;
  /** The role may create databases (a cluster shared by a test run: each file creates its own). */
  roleCreatesDatabases?: boolean;
}

export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql");
  // The sockets and the log live in a temp dir either way (a socket path must stay short).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-pg-"));
  const data = options.dataDir ? path.resolve(options.dataDir) : path.join(dir, "data");
  const reused = fs.existsSync(path.join(data, "PG_VERSION"));
  const password = crypto.randomBytes(12).toString("hex");
  // initdb refuses to run as root: the cluster then belongs to the postgres user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  if (options.dataDir && !reused) {
    fs.mkdirSync(data, { recursive: true, mode: 0o700 });
    if (asRoot) execFileSync("chown", ["postgres:postgres", data]);
  }
  const run = (file: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : file, asRoot ? ["-u", "postgres", "--", file, ...args] : args, { stdio: "pipe" });

  // fsync off unless durable: a test's cluster is thrown away, and tests then spend no time waiting on the disk.
  const durability = options.durable ? "on" : "off";
  if (!reused) {
    run(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]);
  }
  const settings = { fsync: durability, synchronous_commit: durability, full_page_writes: durability, max_connections: "100", ...options.settings };
  // Another test file may take the port between the probe and the server's bind: then another port.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const serverArgs = [`-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(" ");
    try {
      run(path.join(bin, "pg_ctl"), ["-D", data, "-o", serverArgs, "-l", path.join(dir, "server.log"), "-w", "start"]);
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
      // A kept cluster shuts down cleanly; a throwaway one is simply killed.
      run(path.join(bin, "pg_ctl"), ["-D", data, "-m", options.dataDir ? "fast" : "immediate", "-w", "stop"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    psql(`${reused ? "ALTER" : "CREATE"} ROLE ${ROLE} LOGIN${options.roleCreatesDatabases ? " CREATEDB" : ""} PASSWORD '${password}'`);
    const urlOf = (name: string) => `postgres://${ROLE}:${password}@127.0.0.1:${port}/${name}`;
    const createDatabase = (name: string) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      psql(`CREATE DATABASE ${name} OWNER ${ROLE}`);
      return urlOf(name);
    };
    return { url: reused ? urlOf("faultline") : createDatabase("faultline"), port, createDatabase, stop };
  } catch (err) {
    stop();
    throw err;
  }
}
