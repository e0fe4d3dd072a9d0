import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Database from "better-sqlite3";
import { closeDb, getDb } from "@/db/client";
import type { Engine } from "@/db/engine";
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

/** clearIntakeTables on any engine: PostgreSQL's tables of the same names, truncated. */
export async function clearIntakeTablesOn(engine: Engine): Promise<void> {
  if (engine.dialect.name === "sqlite") return clearIntakeTables();
  const data = new Set(dataTables());
  const tables = await engine.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'");
  await engine.exec(`TRUNCATE ${tables.filter((t) => data.has(t.name)).map((t) => t.name).join(", ")} CASCADE`);
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

export const failureRows = (): FailureRow[] =>
  (
    getDb()
      .sqlite.prepare("SELECT f.*, r.payload, r.payload_codec, r.dedupe_key FROM failures f JOIN raw_events r ON r.id = f.raw_event_id ORDER BY f.id")
      .all() as Array<Omit<FailureRow, "user_session_keys" | "session_id"> & { user_session_keys: Buffer | null; payload: StoredPayload; payload_codec: number; dedupe_key: Buffer }>
  ).map(({ payload, payload_codec, dedupe_key, ...row }) => ({
    ...row,
    session_id: readSessionId(JSON.parse(decodePayload(payload, payload_codec, decodeDedupeKey(dedupe_key)))),
    user_session_keys: decodeSessionKeys(row.user_session_keys),
  }));
export const rawEventRows = (): RawEventRow[] =>
  (
    getDb().sqlite.prepare("SELECT * FROM raw_events ORDER BY id").all() as Array<
      Omit<RawEventRow, "payload" | "dedupe_key"> & { dedupe_key: Buffer; payload: StoredPayload; payload_codec: number }
    >
  ).map(({ payload, payload_codec, dedupe_key, ...row }) => {
    const key = decodeDedupeKey(dedupe_key);
    return { ...row, dedupe_key: key, payload: decodePayload(payload, payload_codec, key) };
  });
/** Every stored dedupe key's text. */
export const storedDedupeKeys = (sqlite: Database.Database): string[] =>
  (sqlite.prepare("SELECT dedupe_key FROM raw_events").pluck().all() as Buffer[]).map(decodeDedupeKey);
export const templateStatusRows = () =>
  getDb().sqlite.prepare("SELECT * FROM template_status_events ORDER BY id").all() as TemplateStatusRow[];
