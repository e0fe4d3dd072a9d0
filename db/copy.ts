import fs from "node:fs";
import path from "node:path";
import { openDatabase } from "./client";
import type { Param, Row } from "./engine";
import { PgEngine } from "./pg/engine";
import { migratePostgres } from "./pg/migrate";
import { SqliteEngine } from "./sqlite/engine";

/**
 * `npm run db:copy`: every table of a SQLite install into a PostgreSQL database, in foreign-key
 * order, in batches in primary-key order. Each batch commits with the key it reached (table
 * faultline_copy.progress), so a copy that stops anywhere continues from there when run again;
 * rows already present are skipped (ON CONFLICT DO NOTHING), so running it twice copies nothing.
 * Identity sequences continue after the copied ids. At the end every table's row counts are
 * compared.
 */

export interface CopyOptions {
  from: string;
  to: string;
  /** Rows per batch (per INSERT and per commit). */
  batchRows?: number;
  /** Called after each committed batch (progress output; tests stop the copy from here). */
  onBatch?: (table: string, copiedSoFar: number) => void;
}

export interface TableCopy {
  table: string;
  /** Rows this run read from SQLite (after the key an earlier run reached). */
  read: number;
  /** Rows this run inserted. */
  copied: number;
  sourceRows: number;
  targetRows: number;
}

export interface CopyReport {
  tables: TableCopy[];
  /** Tables whose counts differ after the copy. */
  mismatched: TableCopy[];
}

export class CopyError extends Error {}

const DEFAULT_BATCH_ROWS = 1000;
/** PostgreSQL binds at most 65535 parameters per statement. */
const MAX_PARAMS = 65_535;

interface TargetTable {
  name: string;
  columns: string[];
  integerColumns: Set<string>;
  byteaColumns: Set<string>;
  primaryKey: string[];
  identity: string | undefined;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyReport> {
  if (!fs.existsSync(options.from)) throw new CopyError(`no SQLite database at ${options.from}`);
  // Opening migrates the SQLite file to this version's schema, as starting the server would.
  const source = new SqliteEngine(openDatabase(options.from).sqlite);
  await migratePostgres(options.to);
  const target = PgEngine.open(options.to, 2);
  try {
    const tables = await targetTables(target);
    await checkSourceTables(source, tables);
    await target.exec("CREATE SCHEMA IF NOT EXISTS faultline_copy");
    await target.exec(
      "CREATE TABLE IF NOT EXISTS faultline_copy.progress (source text NOT NULL, table_name text NOT NULL, last_key text NOT NULL, PRIMARY KEY (source, table_name))",
    );
    const sourceId = path.resolve(options.from);
    const report: TableCopy[] = [];
    const count = async (engine: SqliteEngine | PgEngine, table: TargetTable) =>
      (await engine.one<{ n: number }>(`SELECT count(*) AS n FROM ${quote(table.name)}`))!.n;
    for (const table of tables) {
      const first = await copyTable(source, target, table, sourceId, options, true);
      let { read, copied } = first;
      let [sourceRows, targetRows] = [await count(source, table), await count(target, table)];
      if (first.resumed && sourceRows !== targetRows) {
        // Rows added to SQLite since an earlier run, below the key it reached (text keys are not
        // in insertion order): read the whole table once more; rows already there are skipped.
        const again = await copyTable(source, target, table, sourceId, options, false);
        [read, copied] = [read + again.read, copied + again.copied];
        [sourceRows, targetRows] = [await count(source, table), await count(target, table)];
      }
      if (table.identity) {
        const column = quote(table.identity);
        await target.exec(
          `SELECT setval(pg_get_serial_sequence(?, ?), coalesce((SELECT max(${column}) FROM ${quote(table.name)}), 1), (SELECT max(${column}) FROM ${quote(table.name)}) IS NOT NULL)`,
          [table.name, table.identity],
        );
      }
      report.push({ table: table.name, read, copied, sourceRows, targetRows });
    }
    return { tables: report, mismatched: report.filter((t) => t.sourceRows !== t.targetRows) };
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

/** Copies `table` in key order, from the key an earlier run reached when `resume`. */
async function copyTable(
  source: SqliteEngine,
  target: PgEngine,
  table: TargetTable,
  sourceId: string,
  options: CopyOptions,
  resume: boolean,
): Promise<{ read: number; copied: number; resumed: boolean }> {
  const batchRows = Math.max(1, Math.min(options.batchRows ?? DEFAULT_BATCH_ROWS, Math.floor(MAX_PARAMS / table.columns.length)));
  const columns = table.columns.map(quote).join(", ");
  const key = table.primaryKey.map(quote);
  const after = key.length === 1 ? `${key[0]} > ?` : `(${key.join(", ")}) > (${key.map(() => "?").join(", ")})`;
  const read = (from: Param[] | undefined) =>
    source.query<Row>(`SELECT ${columns} FROM ${quote(table.name)}${from ? ` WHERE ${after}` : ""} ORDER BY ${key.join(", ")} LIMIT ${batchRows}`, from ?? []);

  const progress = resume
    ? await target.one<{ last_key: string }>("SELECT last_key FROM faultline_copy.progress WHERE source = ? AND table_name = ?", [sourceId, table.name])
    : undefined;
  let from = progress ? (JSON.parse(progress.last_key) as Param[]) : undefined;
  const resumed = from !== undefined;
  let copied = 0;
  let readRows = 0;
  for (;;) {
    const rows = await read(from);
    readRows += rows.length;
    if (rows.length === 0) return { read: readRows, copied, resumed };
    const values = rows.flatMap((row) => table.columns.map((c) => toTarget(row[c], table, c)));
    const tuple = `(${table.columns.map(() => "?").join(", ")})`;
    const last = rows.at(-1)!;
    from = table.primaryKey.map((c) => last[c] as Param);
    const lastKey = JSON.stringify(from);
    copied += await target.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO ${quote(table.name)} (${columns}) VALUES ${rows.map(() => tuple).join(", ")} ON CONFLICT DO NOTHING RETURNING 1 AS one`,
        values,
      );
      await tx.exec(
        "INSERT INTO faultline_copy.progress (source, table_name, last_key) VALUES (?, ?, ?) ON CONFLICT (source, table_name) DO UPDATE SET last_key = excluded.last_key",
        [sourceId, table.name, lastKey],
      );
      return inserted.length;
    });
    options.onBatch?.(table.name, copied);
    if (rows.length < batchRows) return { read: readRows, copied, resumed };
  }
}

/** A SQLite value as its PostgreSQL column takes it (SQLite's subsecond defaults leave fractions in integer columns). */
function toTarget(value: unknown, table: TargetTable, column: string): Param {
  if (table.integerColumns.has(column) && typeof value === "number" && !Number.isInteger(value)) return Math.round(value);
  // SQLite may hold text in a column PostgreSQL keeps as bytea (raw_events.payload with codec 0).
  if (table.byteaColumns.has(column) && typeof value === "string") return Buffer.from(value, "utf8");
  return value as Param;
}

/** The PostgreSQL tables, parents before children (foreign keys), with their columns and keys. */
async function targetTables(target: PgEngine): Promise<TargetTable[]> {
  const columns = await target.query<{ table_name: string; column_name: string; data_type: string; is_identity: string }>(
    "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
  );
  const keys = await target.query<{ table_name: string; column_name: string }>(
    `SELECT c.relname AS table_name, a.attname AS column_name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE n.nspname = 'public' AND i.indisprimary ORDER BY c.relname, k.ord`,
  );
  const references = await target.query<{ child: string; parent: string }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND c.contype = 'f'`,
  );
  const tables = new Map<string, TargetTable>();
  for (const c of columns) {
    const table = tables.get(c.table_name) ?? { name: c.table_name, columns: [], integerColumns: new Set(), byteaColumns: new Set(), primaryKey: [], identity: undefined };
    table.columns.push(c.column_name);
    if (["bigint", "integer", "smallint"].includes(c.data_type)) table.integerColumns.add(c.column_name);
    if (c.data_type === "bytea") table.byteaColumns.add(c.column_name);
    if (c.is_identity === "YES") table.identity = c.column_name;
    tables.set(c.table_name, table);
  }
  for (const k of keys) tables.get(k.table_name)?.primaryKey.push(k.column_name);
  const missingKey = [...tables.values()].filter((t) => t.primaryKey.length === 0).map((t) => t.name);
  if (missingKey.length) throw new CopyError(`tables without a primary key cannot be copied in batches: ${missingKey.join(", ")}`);

  // Parents first: a table is placed once every table it references is.
  const ordered: TargetTable[] = [];
  const placed = new Set<string>();
  const remaining = new Set(tables.keys());
  while (remaining.size) {
    const ready = [...remaining].filter((t) => references.every((r) => r.child !== t || r.parent === t || placed.has(r.parent))).sort();
    if (ready.length === 0) throw new CopyError(`foreign keys form a cycle among: ${[...remaining].join(", ")}`);
    for (const t of ready) {
      ordered.push(tables.get(t)!);
      placed.add(t);
      remaining.delete(t);
    }
  }
  return ordered;
}

/** Both sides must have the same data tables and columns (the same Faultline version), or the copy would lose data. */
async function checkSourceTables(source: SqliteEngine, tables: TargetTable[]): Promise<void> {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const sqliteTables = await source.query<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations'");
  // Full-text indexes (FTS5 virtual tables and their shadow tables) are rebuilt by PostgreSQL's own indexes.
  const virtual = sqliteTables.filter((t) => t.sql.startsWith("CREATE VIRTUAL TABLE")).map((t) => t.name);
  const problems: string[] = [];
  for (const { name } of sqliteTables) {
    if (virtual.some((v) => name === v || name.startsWith(`${v}_`))) continue;
    const table = byName.get(name);
    if (!table) {
      problems.push(`table ${name} is missing in PostgreSQL`);
      continue;
    }
    const cols = (await source.query<{ name: string }>("SELECT name FROM pragma_table_info(?)", [name])).map((c) => c.name);
    for (const c of cols) if (!table.columns.includes(c)) problems.push(`column ${name}.${c} is missing in PostgreSQL`);
    for (const c of table.columns) if (!cols.includes(c)) problems.push(`column ${name}.${c} is missing in SQLite`);
  }
  for (const t of tables) if (!sqliteTables.some((s) => s.name === t.name)) problems.push(`table ${t.name} is missing in SQLite`);
  if (problems.length) throw new CopyError(`the PostgreSQL schema does not match this SQLite database (${problems.join("; ")}): update Faultline on both sides first`);
}
