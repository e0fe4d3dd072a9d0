import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Dialect } from "@/db/engine";

const PROCESS_OWNER = `${hostname()}:${process.pid}:${randomBytes(6).toString("hex")}`;

/**
 * The name this process's background workers lease rows under (the alert dispatcher, the
 * re-deployment worker). On PostgreSQL every server process is an instance of its own; on SQLite
 * the server is the only one on its file, so its name never changes: after a crash the restarted
 * server takes back at once what its predecessor held instead of waiting for the leases to expire.
 */
export function leaseOwner(dialect: Dialect): string {
  return dialect.name === "sqlite" ? "sqlite" : PROCESS_OWNER;
}
