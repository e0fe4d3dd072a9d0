import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLUSTER_START_TIMEOUT_MS, startPgCluster, type PgCluster } from "@/lib/testing/pg-cluster";
import { openDatabase } from "./client";
import { connectPg } from "./pg/connection";
import { migratePostgres } from "./pg/migrate";

/**
 * The two engines' migrated schemas side by side: every table, column (name, NOT NULL, type
 * family) and index of SQLite exists in PostgreSQL and the other way round, except the
 * declared equivalences below. Fails when db/schema.ts changes without db/pg/schema.ts (or its
 * migrations) following.
 */

/**
 * SQLite's FTS5 trigram table over contact_phones is PostgreSQL's pg_trgm GIN indexes over the same
 * columns; PostgreSQL's phone search also reads failures by contact from a covering index (SQLite
 * keeps within its bytes per failure without one).
 */
const SQLITE_ONLY_TABLES = new Set(["contact_phones_fts"]);
const PG_ONLY_INDEXES = new Set(["contact_phones_e164_trgm_idx", "contact_phones_cellphone_trgm_idx", "failures_contact_cover_idx"]);
/**
 * SQLite totals a window per line or template in the key indexes' order, and probes a rollup row's
 * incident by (key, status); PostgreSQL hashes the window's rows, and a status's incidents once.
 */
const SQLITE_ONLY_INDEXES = new Set(["rollup_day_line_key_idx", "rollup_day_template_key_idx"]);

/**
 * raw_events.payload holds deflated bytes (or text, by payload_codec), and dedupe keys and session
 * keys their compact forms (lib/ingest/compact-values.ts): SQLite keeps a BLOB as it is in a TEXT
 * column (dynamic typing; declaring it BLOB would rebuild the largest tables), while PostgreSQL
 * needs bytea.
 */
const SQLITE_TEXT_HOLDING_BYTES = new Set(["raw_events.payload", "raw_events.dedupe_key", "failures.user_session_keys"]);

const TYPE_FAMILY: Record<string, string> = {
  integer: "integer",
  real: "real",
  text: "text",
  blob: "bytes",
  bigint: "integer",
  smallint: "integer",
  "double precision": "real",
  bytea: "bytes",
};

interface Column {
  notNull: boolean;
  family: string;
}
type Schema = { tables: Record<string, Record<string, Column>>; indexes: Set<string> };

let cluster: PgCluster;
let dir: string;
beforeAll(async () => {
  cluster = await startPgCluster();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-parity-"));
}, CLUSTER_START_TIMEOUT_MS);
afterAll(() => {
  cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function sqliteSchema(): Schema {
  const { sqlite } = openDatabase(path.join(dir, "parity.db"));
  try {
    const names = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations'").pluck().all() as string[])
      .filter((t) => !SQLITE_ONLY_TABLES.has(t) && ![...SQLITE_ONLY_TABLES].some((v) => t.startsWith(`${v}_`)));
    const tables = Object.fromEntries(
      names.map((t) => {
        const cols = sqlite.prepare(`SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?)`).all(t) as Array<{ name: string; type: string; nn: number; pk: number }>;
        return [t, Object.fromEntries(cols.map((c) => [c.name, { notNull: c.nn === 1 || c.pk > 0, family: SQLITE_TEXT_HOLDING_BYTES.has(`${t}.${c.name}`) ? "bytes" : (TYPE_FAMILY[c.type.toLowerCase()] ?? c.type) }]))];
      }),
    );
    const indexes = new Set(
      (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'").pluck().all() as string[]).filter((n) => !SQLITE_ONLY_INDEXES.has(n)),
    );
    return { tables, indexes };
  } finally {
    sqlite.close();
  }
}

async function pgSchema(url: string): Promise<Schema> {
  const client = await connectPg(url);
  try {
    const cols = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
      "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    );
    const tables: Schema["tables"] = {};
    for (const c of cols.rows) {
      (tables[c.table_name] ??= {})[c.column_name] = { notNull: c.is_nullable === "NO", family: TYPE_FAMILY[c.data_type] ?? c.data_type };
    }
    // Primary keys are the SQLite table definition's own, not named indexes there.
    const idx = await client.query<{ indexname: string }>(
      "SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype = 'p')",
    );
    return { tables, indexes: new Set(idx.rows.map((r) => r.indexname).filter((n) => !PG_ONLY_INDEXES.has(n))) };
  } finally {
    await client.end();
  }
}

describe("SQLite and PostgreSQL schemas", () => {
  it("have the same tables, columns and indexes", async () => {
    const url = cluster.createDatabase("parity");
    await migratePostgres(url);
    const lite = sqliteSchema();
    const pg = await pgSchema(url);
    expect(Object.keys(pg.tables).sort()).toEqual(Object.keys(lite.tables).sort());
    for (const [table, columns] of Object.entries(lite.tables)) expect({ table, columns: pg.tables[table] }).toEqual({ table, columns });
    expect([...pg.indexes].sort()).toEqual([...lite.indexes].sort());
  });
});
