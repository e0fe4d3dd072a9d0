/** SQLite codes that mean "cannot write right now" (disk full, read-only, locked, I/O): retry later. */
const UNAVAILABLE_SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|PROTOCOL|NOLFS)/;

/**
 * PostgreSQL SQLSTATEs that mean the same: a read-only transaction (25006), a lock not granted
 * within lock_timeout (55P03), a lost connection (08…),
 * insufficient resources such as a full disk or too many connections (53…), the server shutting down
 * or starting (57P01–57P03), a system I/O error (58…).
 */
const UNAVAILABLE_POSTGRES_CODES = /^(25006|55P03|08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1-3]|58[0-9A-Z]{3})$/;

const WRITER_UNAVAILABLE = "WRITER_UNAVAILABLE";

/** The thread that writes events ended before answering (lib/ingest/ingest-worker.ts): retry later. */
export class WriterUnavailableError extends Error {
  readonly code = WRITER_UNAVAILABLE;
}

/** True when `err` is a storage outage rather than a problem with the data being written. */
export function isStorageUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code === WRITER_UNAVAILABLE || UNAVAILABLE_SQLITE_CODES.test(code) || UNAVAILABLE_POSTGRES_CODES.test(code));
}
