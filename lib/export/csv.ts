import { stringify } from "csv-stringify/sync";
import { get, type Steps } from "@/db/steps";

/** A CSV cell before formatting: null and undefined are empty cells. */
export type Cell = string | number | null | undefined;

/**
 * An export written once for both engines, as its opening steps (db/steps.ts, run in one snapshot)
 * answer it: the file's name and header, and the steps that read its next chunk of rows. Both run
 * on the export's own connection in its worker thread (lib/read/serve.ts): synchronously on
 * SQLite, on a PostgreSQL connection of the worker's own otherwise.
 */
export interface OpenedExport {
  filename: string;
  columns: string[];
  /** The next chunk of rows as cells (one short statement), or null after the last. */
  nextChunk(): Steps<Cell[][] | null>;
}

/** What an export streams: its header and its rows, read lazily, a chunk at a time (null after the last). */
export interface RowSource {
  columns: string[];
  nextChunk(): Promise<Cell[][] | null>;
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
 * download (the client went away) ends the export's worker, and its connection with it.
 */
export function csvStream(source: RowSource, options: { bom: boolean }): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let first = (options.bom ? UTF8_BOM : "") + csvRecord(source.columns);
  return new ReadableStream<Uint8Array>(
    {
      // One read chunk per pull, formatted and handed over at once: its rows never outlive the
      // pull, so they are collected young and memory stays flat whatever the export's size.
      async pull(controller) {
        const chunk = await source.nextChunk();
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
        if (chunk) for (const cells of chunk) append(csvRecord(cells));
        if (length) controller.enqueue(bytes.subarray(0, length));
        if (!chunk) controller.close();
      },
    },
    // One chunk ahead at most: a slow client holds back the reads instead of filling memory.
    { highWaterMark: 1 },
  );
}

/**
 * The chunk reader of a keyset-chunked export: `read(cursor)` runs one short statement returning
 * at most READ_CHUNK_ROWS rows after `cursor`, each row's cursor is `cursorOf(row)`, and reading
 * stops at the first short chunk. Each chunk is read whole, not row by row: no statement or read
 * snapshot stays open while a slow client catches up, so a stalled or cancelled download holds
 * nothing but its connection.
 */
export function keysetChunks<Row, Cursor>(read: (cursor: Cursor) => Steps<Row[]>, cursorOf: (row: Row) => Cursor, start: Cursor, toCells: (row: Row) => Cell[]): () => Steps<Cell[][] | null> {
  let cursor = start;
  let done = false;
  return function* () {
    if (done) return null;
    const chunk = yield* read(cursor);
    const last = chunk.at(-1);
    done = chunk.length < READ_CHUNK_ROWS;
    if (last === undefined) return null;
    cursor = cursorOf(last);
    return chunk.map(toCells);
  };
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
export function* maxId(table: "failures" | "incidents"): Steps<number> {
  return (yield* get<{ id: number }>(`SELECT coalesce(max(id), 0) AS id FROM ${table}`, []))!.id;
}
