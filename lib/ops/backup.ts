import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { PRIVATE_FILE_MODE } from "@/db/client";
import { LOCK_WAIT_MS } from "@/db/engine";

/** Copies the rest of the database in one step once started, see backupDatabase. */
const REST_IN_ONE_STEP = 1_000_000_000;

/** Throws unless `file` is an intact SQLite database holding Faultline's tables. */
function verifyDatabase(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    const check = db.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new Error(`${file} failed PRAGMA integrity_check: ${String(check)}`);
    const hasEvents = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'raw_events'").get();
    if (!hasEvents) throw new Error(`${file} is not a Faultline database (no raw_events table).`);
  } finally {
    db.close();
  }
}

function fsyncPath(file: string): void {
  const fd = fs.openSync(file, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * An online, consistent copy of the database at `source`, written to `destination`, while the
 * server keeps ingesting (SQLite's backup API on a separate connection; WAL readers never block
 * the writer). The copy is taken in one step after the first: a backup that yielded between small
 * steps would restart every time the server committed, and never finish under load. It is written
 * under a temporary name, checked, and renamed, so `destination` is never a partial file.
 */
export async function backupDatabase(source: string, destination: string): Promise<{ pages: number }> {
  const partial = `${destination}.partial`;
  fs.rmSync(partial, { force: true });
  // Created owner-only before SQLite writes the copy into it (an empty file is an empty database).
  fs.closeSync(fs.openSync(partial, "w", PRIVATE_FILE_MODE));
  const db = new Database(source, { readonly: true, fileMustExist: true });
  let pages = 0;
  try {
    db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
    const done = await db.backup(partial, { progress: () => REST_IN_ONE_STEP });
    pages = done.totalPages;
  } finally {
    db.close();
  }
  verifyDatabase(partial);
  fsyncPath(partial);
  fs.renameSync(partial, destination);
  fsyncPath(path.dirname(path.resolve(destination)));
  return { pages };
}

/**
 * Replaces the database at `target` with the backup `backupFile`. The server must be stopped.
 * The backup is copied next to the target and verified there (integrity_check), the target's
 * stale -wal and -shm are removed (a leftover WAL would be replayed onto the restored file and
 * corrupt it), and the copy is renamed over the target: at every moment the target path holds
 * either the old database or the complete restored one.
 */
export function restoreDatabase(backupFile: string, target: string): void {
  if (!fs.existsSync(backupFile)) throw new Error(`No such backup: ${backupFile}`);
  const staging = `${target}.restoring`;
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  fs.copyFileSync(backupFile, staging);
  fs.chmodSync(staging, PRIVATE_FILE_MODE);
  try {
    verifyDatabase(staging);
    fsyncPath(staging);
  } catch (err) {
    fs.rmSync(staging, { force: true });
    throw err;
  }
  fs.rmSync(`${target}-wal`, { force: true });
  fs.rmSync(`${target}-shm`, { force: true });
  fs.renameSync(staging, target);
  fsyncPath(path.dirname(path.resolve(target)));
}
