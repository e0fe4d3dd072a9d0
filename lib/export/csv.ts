import type Database from "better-sqlite3";
import { stringify } from "csv-stringify/sync";

/** A CSV cell before formatting: null and undefined are empty cells. */
export type Cell = string | number | null | undefined;

/** What an export streams: its header, its rows (read lazily, a chunk at a time), and how to release its reads. */
export interface RowSource {
  columns: string[];
  chunks: Iterator<Cell[][]>;
  /** Releases what the export created on its connection; called once, after the last row, an error or a cancel. */
  close?(): void;
}

/**
 * First characters that make a spreadsheet evaluate a cell as a formula (OWASP "CSV injection"):
 * = + - @ tab CR LF, and the full-width forms some spreadsheets normalise to ASCII. Webhook data
 * is attacker-controlled, so such cells get a leading `'`. This also keeps `+573001112233` text:
 * a spreadsheet neither evaluates it nor turns it into a number (the `'` is visible; strip it when
 * feeding a number back to another system).
 */
const FORMULA_START = new Set([..."=+-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20"].map((c) => c.charCodeAt(0)));

export function neutralise(value: string): string {
  return FORMULA_START.has(value.charCodeAt(0)) ? `'${value}` : value;
}

/** Characters that make csv-stringify quote a field (our delimiter, quote and record delimiters). */
const NEEDS_QUOTING = /[",\r\n]/;
const RECORD_DELIMITER = "\r\n";
/**
 * CRLF records; quote_record_delimiter, because with an explicit record delimiter csv-stringify
 * otherwise quotes only cells holding the whole CRLF, and a lone CR or LF would split the record.
 */
export const STRINGIFY_OPTIONS = { record_delimiter: "windows", quote_record_delimiter: true } as const;

/**
 * One CSV record (RFC 4180: CRLF-terminated, quoted by csv-stringify when needed). Numbers are
 * written as is; every string is neutralised first.
 *
 * Why the fast path: csv-stringify costs ~3.5 µs per 17-field record, more than the whole
 * database read, which kept a 1M-row export far above its target. A record none of whose cells
 * holds a quote, comma, CR or LF is left unchanged by csv-stringify apart from joining, so it is
 * joined here; any other record goes through the library whole. csv.test.ts checks both agree.
 */
export function csvRecord(cells: readonly Cell[]): string {
  let line = "";
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    let text: string;
    if (typeof cell === "string") {
      text = neutralise(cell);
      if (NEEDS_QUOTING.test(text)) return quotedRecord(cells);
    } else text = cell === null || cell === undefined ? "" : String(cell);
    line += i === 0 ? text : `,${text}`;
  }
  return line + RECORD_DELIMITER;
}

function quotedRecord(cells: readonly Cell[]): string {
  const texts = cells.map((c) => (c === null || c === undefined ? "" : typeof c === "number" ? String(c) : neutralise(c)));
  return stringify([texts], STRINGIFY_OPTIONS);
}

/**
 * Rows per read statement and per stream chunk: short reads (an export never keeps a read open
 * for long), ~2–3 ms of work per chunk (what each pull of the HTTP response asks of the export's
 * worker), and rows that die young.
 */
export const READ_CHUNK_ROWS = 500;
const UTF8_BOM = "\uFEFF";
/** Initial bytes of a stream chunk: READ_CHUNK_ROWS records of ~250 bytes. */
const CHUNK_BYTES = 160 * 1024;

/**
 * A pull-based byte stream of the CSV: rows are read only when the response asks for more, so a
 * slow client holds back the database reads instead of piling text up in memory. A cancelled
 * download (the client went away) stops the row generator and closes the export's connection.
 */
export function csvStream(source: RowSource, options: { bom: boolean }): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let closed = false;
  const release = () => {
    if (closed) return;
    closed = true;
    source.close?.();
  };
  let first = (options.bom ? UTF8_BOM : "") + csvRecord(source.columns);
  return new ReadableStream<Uint8Array>(
    {
      // One read chunk per pull, formatted and handed over at once: its rows never outlive the
      // pull, so they are collected young and memory stays flat whatever the export's size.
      pull(controller) {
        if (closed) return;
        let next: IteratorResult<Cell[][]>;
        try {
          next = source.chunks.next();
        } catch (err) {
          release();
          throw err;
        }
        // Each record is encoded straight into the chunk's bytes: no chunk-sized string is ever
        // built (such strings live in V8's large-object space until a full GC, which let RSS
        // grow by ~150 MB during a 1M-row export).
        let bytes = new Uint8Array(CHUNK_BYTES);
        let length = 0;
        const append = (text: string) => {
          // UTF-8 needs at most 3 bytes per UTF-16 code unit.
          if (length + text.length * 3 > bytes.length) {
            const grown = new Uint8Array(Math.max(bytes.length * 2, length + text.length * 3));
            grown.set(bytes.subarray(0, length));
            bytes = grown;
          }
          length += encoder.encodeInto(text, bytes.subarray(length)).written;
        };
        append(first);
        first = "";
        if (!next.done) for (const cells of next.value) append(csvRecord(cells));
        if (length) controller.enqueue(bytes.subarray(0, length));
        if (next.done) {
          release();
          controller.close();
        }
      },
      cancel() {
        try {
          source.chunks.return?.();
        } finally {
          release();
        }
      },
    },
    // One chunk ahead at most: a slow client holds back the reads instead of filling memory.
    { highWaterMark: 1 },
  );
}

/**
 * Chunks of a keyset-chunked read: `read(cursor)` runs one short statement returning at most
 * READ_CHUNK_ROWS rows after `cursor`, each row's cursor is `cursorOf(row)`, and reading stops at
 * the first short chunk. Each chunk is read whole (`.all()`), not row by row with `.iterate()`:
 * no statement or read snapshot stays open while a slow client catches up, so a stalled or
 * cancelled download holds nothing but its connection, and a 1M-row export is ~1 s faster (an
 * iterator crosses into native code once per row).
 */
export function* chunkedRows<Row, Cursor>(
  read: (cursor: Cursor) => Row[],
  cursorOf: (row: Row) => Cursor,
  start: Cursor,
  toCells: (row: Row) => Cell[],
): Generator<Cell[][], void, undefined> {
  let cursor = start;
  for (;;) {
    const chunk = read(cursor);
    const last = chunk.at(-1);
    if (last === undefined) return;
    yield chunk.map(toCells);
    if (chunk.length < READ_CHUNK_ROWS) return;
    cursor = cursorOf(last);
  }
}

/** ISO 8601 UTC text of epoch ms. Rows come in time order, so each minute's prefix is reused. */
export function isoFormatter(): (t: number) => string {
  let minute = Number.NaN;
  let prefix = "";
  return (t) => {
    const m = Math.floor(t / 60_000);
    if (m !== minute) {
      minute = m;
      prefix = new Date(m * 60_000).toISOString().slice(0, 17);
    }
    const ms = t - m * 60_000;
    const seconds = Math.floor(ms / 1000);
    const millis = ms % 1000;
    return `${prefix}${seconds < 10 ? "0" : ""}${seconds}.${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
  };
}

/** The highest id of a table now: rows added after the export started are left out of it. */
export function maxId(sqlite: Database.Database, table: "failures" | "incidents"): number {
  return (sqlite.prepare(`SELECT coalesce(max(id), 0) FROM ${table}`).pluck().get() as number) ?? 0;
}
