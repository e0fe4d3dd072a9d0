import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Database from "better-sqlite3";
import { closeDb, getDb } from "@/db/client";
import type { Engine, Queryable } from "@/db/engine";
import { decodeDedupeKey, decodeSessionKeys } from "@/lib/ingest/compact-values";
import { readSessionId } from "@/lib/ingest/normalize";
import { decodePayload, type StoredPayload } from "@/lib/ingest/payload-codec";

/** A webhook token long enough for the settings schema (≥ 16 characters). */
export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789";

/** A Standard Webhooks signing secret: `whsec_` + base64 of a 32-byte key. */
export const TEST_SIGNING_SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;

export interface TempDatabase {
  dir: string;
  file: string;
  /** Closes the process-wide connection and deletes the temporary folder. */
  cleanup(): void;
}

/**
 * Points this test file (its own fork) at a fresh SQLite file in a temporary folder and sets the
 * given environment variables (undefined = unset). Settings are parsed once per process, so call
 * this at the top of the file, before anything calls getDb() or getSettings().
 */
export function setupTempDatabase(env: Record<string, string | undefined> = {}): TempDatabase {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-test-"));
  const file = path.join(dir, "faultline.db");
  process.env.DATABASE_PATH = file;
  delete process.env.DATABASE_URL;
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return {
    dir,
    file,
    cleanup() {
      closeDb();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RowCounts {
  raw: number;
  failures: number;
  templateStatus: number;
}

/** How many rows each intake table holds. */
export function rowCounts(): RowCounts {
  const count = (table: string) =>
    (getDb().sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { raw: count("raw_events"), failures: count("failures"), templateStatus: count("template_status_events") };
}

/** rowCounts on either engine. */
export async function rowCountsOn(engine: Queryable): Promise<RowCounts> {
  const count = async (table: string) => (await engine.one<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n;
  return { raw: await count("raw_events"), failures: await count("failures"), templateStatus: await count("template_status_events") };
}

/** Tables that hold no received data: drizzle's bookkeeping, generated settings, line names, accounts and access. */
const NON_DATA_TABLES = new Set([
  "settings",
  "line_labels",
  "__drizzle_migrations",
  "users",
  "sessions",
  "accounts",
  "verifications",
  "api_tokens",
  "audit_log",
  "sign_in_throttle",
]);

/** Every table that holds received or derived data (whatever the schema grows to hold). */
export function dataTables(): string[] {
  const rows = getDb()
    .sqlite.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as Array<{ name: string; sql: string }>;
  // A full-text index's shadow tables (<name>_data, _idx, …) belong to it, not to the data.
  const virtual = rows.filter((r) => r.sql.startsWith("CREATE VIRTUAL TABLE")).map((r) => r.name);
  return rows.map((r) => r.name).filter((name) => !NON_DATA_TABLES.has(name) && !virtual.some((v) => name.startsWith(`${v}_`)));
}

/** Full-text indexes (FTS5 virtual tables): emptied with their 'delete-all' command, not DELETE. */
function fullTextTables(): Set<string> {
  const rows = getDb().sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'").pluck().all() as string[];
  return new Set(rows);
}

/** Rows in every data table, by table name. */
export function dataTableCounts(): Record<string, number> {
  const sqlite = getDb().sqlite;
  return Object.fromEntries(
    dataTables().map((t) => [t, (sqlite.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n]),
  );
}

/** dataTables on either engine (PostgreSQL has no full-text shadow tables to leave out). */
async function dataTablesOn(engine: Queryable): Promise<string[]> {
  if (engine.dialect.name === "sqlite") return dataTables();
  const tables = await engine.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename");
  return tables.map((t) => t.name).filter((name) => !NON_DATA_TABLES.has(name));
}

/** dataTableCounts on either engine. */
export async function dataTableCountsOn(engine: Queryable): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of await dataTablesOn(engine)) counts[t] = (await engine.one<{ n: number }>(`SELECT count(*) AS n FROM "${t}"`))!.n;
  return counts;
}

/** Empties every data table between tests (the schema, migrations and settings stay). */
export function clearIntakeTables(): void {
  const sqlite = getDb().sqlite;
  sqlite.pragma("foreign_keys = OFF");
  try {
    sqlite.transaction(() => {
      const fullText = fullTextTables();
      for (const t of dataTables()) sqlite.prepare(fullText.has(t) ? `INSERT INTO "${t}" ("${t}") VALUES ('delete-all')` : `DELETE FROM "${t}"`).run();
    })();
  } finally {
    sqlite.pragma("foreign_keys = ON");
  }
}

/** clearIntakeTables on either engine: empties every data table of `engine`'s database. */
export async function clearDataTables(engine: Engine): Promise<void> {
  if (engine.dialect.name === "sqlite") return clearIntakeTables();
  // One TRUNCATE of them all: the foreign keys between data tables then need no order.
  await engine.exec(`TRUNCATE ${(await dataTablesOn(engine)).map((t) => `"${t}"`).join(", ")}`);
}

export interface FailureRow {
  id: number;
  raw_event_id: number;
  occurred_at: number;
  reason: string;
  reason_known: number;
  /** "" when unknown. */
  line: string;
  template: string;
  country_code: string | null;
  cellphone: string | null;
  phone_e164: string | null;
  poll_id: string | null;
  deployment_id: string | null;
  batch_id: string | null;
  /** Read from the raw event's payload, as the failure's detail reads it (not stored apart). */
  session_id: string | null;
  /** The JSON text (decoded from its stored form). */
  user_session_keys: string | null;
}

export interface RawEventRow {
  id: number;
  /** The key's text (decoded from its stored form). */
  dedupe_key: string;
  /** As sent while quarantined; "" once accepted. */
  event_type: string;
  occurred_at: number;
  occurred_at_from_receipt: number;
  received_at: number;
  /** The text as received (decoded from its stored form). */
  payload: string;
  sent_occurred_at: number | null;
  /** JSON `[{path,message}]` while quarantined; null once normalised. */
  problems: string | null;
}

export interface TemplateStatusRow {
  id: number;
  raw_event_id: number;
  template: string;
  status: string;
  occurred_at: number;
  received_at: number;
  affected_conversation_ids: string | null;
}

const FAILURE_ROWS_SQL = "SELECT f.*, r.payload, r.payload_codec, r.dedupe_key FROM failures f JOIN raw_events r ON r.id = f.raw_event_id ORDER BY f.id";
type StoredFailureRow = Omit<FailureRow, "user_session_keys" | "session_id"> & { user_session_keys: Buffer | null; payload: StoredPayload; payload_codec: number; dedupe_key: Buffer };
const toFailureRow = ({ payload, payload_codec, dedupe_key, ...row }: StoredFailureRow): FailureRow => ({
  ...row,
  session_id: readSessionId(JSON.parse(decodePayload(payload, payload_codec, decodeDedupeKey(dedupe_key)))),
  user_session_keys: decodeSessionKeys(row.user_session_keys),
});
export const failureRows = (): FailureRow[] => (getDb().sqlite.prepare(FAILURE_ROWS_SQL).all() as StoredFailureRow[]).map(toFailureRow);
/** failureRows on either engine. */
export const failureRowsOn = async (engine: Queryable): Promise<FailureRow[]> => (await engine.query<StoredFailureRow>(FAILURE_ROWS_SQL)).map(toFailureRow);

const RAW_EVENT_ROWS_SQL = "SELECT * FROM raw_events ORDER BY id";
type StoredRawEventRow = Omit<RawEventRow, "payload" | "dedupe_key"> & { dedupe_key: Buffer; payload: StoredPayload; payload_codec: number };
const toRawEventRow = ({ payload, payload_codec, dedupe_key, ...row }: StoredRawEventRow): RawEventRow => {
  const key = decodeDedupeKey(dedupe_key);
  return { ...row, dedupe_key: key, payload: decodePayload(payload, payload_codec, key) };
};
export const rawEventRows = (): RawEventRow[] => (getDb().sqlite.prepare(RAW_EVENT_ROWS_SQL).all() as StoredRawEventRow[]).map(toRawEventRow);
/** rawEventRows on either engine. */
export const rawEventRowsOn = async (engine: Queryable): Promise<RawEventRow[]> => (await engine.query<StoredRawEventRow>(RAW_EVENT_ROWS_SQL)).map(toRawEventRow);
/** Every stored dedupe key's text. */
export const storedDedupeKeys = (sqlite: Database.Database): string[] =>
  (sqlite.prepare("SELECT dedupe_key FROM raw_events").pluck().all() as Buffer[]).map(decodeDedupeKey);
const TEMPLATE_STATUS_ROWS_SQL = "SELECT * FROM template_status_events ORDER BY id";
export const templateStatusRows = () => getDb().sqlite.prepare(TEMPLATE_STATUS_ROWS_SQL).all() as TemplateStatusRow[];
/** templateStatusRows on either engine. */
export const templateStatusRowsOn = (engine: Queryable) => engine.query<TemplateStatusRow>(TEMPLATE_STATUS_ROWS_SQL);
