import type Database from "better-sqlite3";
import type { Dialect, Param, Queryable, RowColumnType } from "./engine";
import { perConnection } from "./statements";

/**
 * Business rules written once for both engines, "sans IO": a rule is a generator that yields the
 * statements it needs and receives their answers (`const row = yield* get<Row>(SQL, [..])`). A
 * driver runs it: `runSteps` synchronously on a better-sqlite3 connection (the ingest hot path,
 * inside its own synchronous transaction), `runStepsOn` on an engine transaction (`tx`). A rule
 * decides nothing outside the database, so PostgreSQL may run it again from the start (a new
 * generator per attempt) after a deadlock.
 */

/** A value a rule binds: booleans are written 0/1 by the rules themselves (no conversion pass). */
export type Value = Exclude<Param, boolean>;

/** One statement a rule asks its driver to run; "each": once per row of parameters, every row it returns. */
export type StatementRequest =
  | { kind: "get" | "all" | "values" | "run"; sql: string; params: readonly Value[] }
  | { kind: "each"; sql: string; rows: ReadonlyArray<readonly Value[]> };

export type Steps<T> = Generator<StatementRequest, T, unknown>;

/** The first row, or undefined (a SELECT, or a write with RETURNING). */
export function* get<T>(sql: string, params: readonly Value[]): Steps<T | undefined> {
  return (yield { kind: "get", sql, params }) as T | undefined;
}

/** Every row. */
export function* all<T>(sql: string, params: readonly Value[]): Steps<T[]> {
  return (yield { kind: "all", sql, params }) as T[];
}

/**
 * Every row as an array of its columns in the SELECT's order: no object per row, whose column
 * names SQLite's driver interns again for every row (an export's 500-row chunk reads in two
 * thirds of the time). The SELECT's column names must be distinct (PostgreSQL's rows are objects
 * keyed by them before they become arrays).
 */
export function* values<T extends readonly unknown[]>(sql: string, params: readonly Value[]): Steps<T[]> {
  return (yield { kind: "values", sql, params }) as T[];
}

/** A write; how many rows it changed. */
export function* run(sql: string, params: readonly Value[]): Steps<number> {
  return (yield { kind: "run", sql, params }) as number;
}

/** A statement writing many rows (`writeRows`), built once per dialect by `rowsStatement`. */
export interface RowsStatement {
  sql: string;
  /** All rows in one execution (PostgreSQL), else one execution per row (SQLite). */
  together: boolean;
}

/**
 * `build(source)` is the statement with `source` as the FROM item of its rows (`given`, with
 * `columns`), e.g. `INSERT INTO t (a, b) SELECT a, b FROM ${source} WHERE true ON CONFLICT …`
 * (SQLite needs the WHERE before an upsert's ON CONFLICT). An upsert's rows must have distinct
 * keys: PostgreSQL refuses to update one row twice in a statement.
 */
export function rowsStatement(dialect: Dialect, columns: ReadonlyArray<readonly [string, RowColumnType]>, build: (source: string) => string): RowsStatement {
  const source = dialect.rowsSource(columns);
  return { sql: build(source.sql), together: source.together };
}

/**
 * `INSERT INTO table (columns) … tail` for many rows: from `Dialect.rowsSource` where they go
 * together (the WHERE is SQLite's for an upsert after a SELECT), else a plain VALUES row, as
 * SQLite runs a single-row insert fastest.
 */
export function insertRowsStatement(dialect: Dialect, table: string, columns: ReadonlyArray<readonly [string, RowColumnType]>, tail: string): RowsStatement {
  const names = columns.map(([name]) => name).join(", ");
  const source = dialect.rowsSource(columns);
  const rows = source.together ? `SELECT ${names} FROM ${source.sql} WHERE true` : `VALUES (${columns.map(() => "?").join(", ")})`;
  return { sql: `INSERT INTO ${table} (${names}) ${rows} ${tail}`, together: source.together };
}

/** `statement` for `rows` as writes for `runTogether` (it must return nothing). */
export function rowWrites(statement: RowsStatement, rows: ReadonlyArray<readonly Value[]>): Write[] {
  if (!rows.length) return [];
  return statement.together ? [[statement.sql, [rowsJson(rows)]]] : rows.map((row) => [statement.sql, row]);
}

/** The rows as `Dialect.rowsSource`'s JSON parameter (blobs as hex). */
const rowsJson = (rows: ReadonlyArray<readonly Value[]>) => JSON.stringify(rows.map((row) => row.map((v) => (Buffer.isBuffer(v) ? v.toString("hex") : v))));

/** Runs `statement` for `rows` (each in the order of its columns); every row it returns. */
export function* writeRows<T>(statement: RowsStatement, rows: ReadonlyArray<readonly Value[]>): Steps<T[]> {
  if (!rows.length) return [];
  if (!statement.together) return (yield { kind: "each", sql: statement.sql, rows }) as T[];
  return yield* all<T>(statement.sql, [rowsJson(rows)]);
}

/** A write whose answer the rule does not need: its SQL and parameters. */
export type Write = readonly [sql: string, params: readonly Value[]];

/**
 * Runs `writes` in their order, as one statement where the dialect can (PostgreSQL: one round
 * trip). They must be independent: no two change one row, and none reads what another writes
 * (one statement sees the database as it was before all of them).
 */
export function* runTogether(dialect: Dialect, writes: readonly Write[]): Steps<void> {
  const combine = dialect.combineWrites;
  if (!combine) {
    for (const [sql, params] of writes) yield* run(sql, params);
    return;
  }
  for (let start = 0; start < writes.length; ) {
    let end = start + 1;
    for (let params = writes[start]![1].length; end < writes.length && end - start < MAX_COMBINED_WRITES; end++) {
      params += writes[end]![1].length;
      if (params > MAX_COMBINED_PARAMS) break;
    }
    const chunk = writes.slice(start, end);
    yield* chunk.length === 1 ? run(...chunk[0]!) : run(combine(chunk.map(([sql]) => sql)), chunk.flatMap(([, params]) => params));
    start = end;
  }
}

/** A combined statement's bounds: PostgreSQL takes at most 65,535 parameters, and plans every part. */
const MAX_COMBINED_WRITES = 100;
const MAX_COMBINED_PARAMS = 10_000;

const preparedBySql = perConnection(() => new Map<string, Database.Statement>());

/** Read filters build SQL text per combination of filters: a read worker keeps the most recently added few hundred. */
const MAX_PREPARED_PER_CONNECTION = 500;

/**
 * Runs `steps` on `sqlite` synchronously (inside the caller's transaction), each statement
 * prepared once per connection and SQL text.
 */
export function runSteps<T>(sqlite: Database.Database, steps: Steps<T>): T {
  const prepared = preparedBySql(sqlite);
  let next = steps.next();
  while (!next.done) {
    const request = next.value;
    let statement = prepared.get(request.sql);
    if (!statement) {
      if (prepared.size >= MAX_PREPARED_PER_CONNECTION) prepared.delete(prepared.keys().next().value!);
      prepared.set(request.sql, (statement = sqlite.prepare(request.sql)));
    }
    switch (request.kind) {
      case "get":
        next = steps.next(statement.get(...request.params));
        break;
      case "all":
        next = steps.next(statement.all(...request.params));
        break;
      case "values": {
        // The statement is shared with `all` readers of the same SQL: arrays for this call only.
        let rows: unknown[];
        statement.raw(true);
        try {
          rows = statement.all(...request.params);
        } finally {
          statement.raw(false);
        }
        next = steps.next(rows);
        break;
      }
      case "run":
        next = steps.next(statement.run(...request.params).changes);
        break;
      case "each": {
        const rows: unknown[] = [];
        for (const params of request.rows) {
          if (statement.reader) rows.push(...statement.all(...params));
          else statement.run(...params);
        }
        next = steps.next(rows);
      }
    }
  }
  return next.value;
}

/** Runs `steps` on an engine transaction (or the engine itself, for reads). */
export async function runStepsOn<T>(q: Queryable, steps: Steps<T>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    const request = next.value;
    if (request.kind === "each") {
      const rows: unknown[] = [];
      for (const params of request.rows) rows.push(...(await q.query(request.sql, params)));
      next = steps.next(rows);
      continue;
    }
    const { kind, sql, params } = request;
    if (kind === "values") next = steps.next((await q.query<Record<string, unknown>>(sql, params)).map((row) => Object.values(row)));
    else next = steps.next(kind === "get" ? await q.one(sql, params) : kind === "all" ? await q.query(sql, params) : (await q.exec(sql, params)).changes);
  }
  return next.value;
}

/** SQL texts built once per dialect: `const sql = perDialect((d) => ({ … }))`. */
export function perDialect<T>(build: (dialect: Dialect) => T): (dialect: Dialect) => T {
  const byDialect = new Map<Dialect["name"], T>();
  return (dialect) => {
    let built = byDialect.get(dialect.name);
    if (built === undefined) byDialect.set(dialect.name, (built = build(dialect)));
    return built;
  };
}

/**
 * A map's values in the order of their keys. Rows that every instance's transaction may update
 * (rollups, sketches) are written in this one order, so two transactions never hold one each
 * while waiting for the other's (a deadlock, which PostgreSQL resolves by aborting one).
 */
export function inKeyOrder<V>(map: ReadonlyMap<string, V>): V[] {
  return [...map.keys()].sort().map((key) => map.get(key)!);
}
