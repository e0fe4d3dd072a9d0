/** SQLite codes that mean "cannot write right now" (disk full, read-only, locked, I/O): retry later. */
const UNAVAILABLE_SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|PROTOCOL|NOLFS)/;

/** True when `err` is a storage outage rather than a problem with the data being written. */
export function isStorageUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && UNAVAILABLE_SQLITE_CODES.test(code);
}
