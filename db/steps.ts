import type Database from "better-sqlite3";
import type { Dialect, Param, Queryable } from "./engine";
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

/** One statement a rule asks its driver to run. */
export interface StatementRequest {
  kind: "get" | "all" | "run";
  sql: string;
  params: readonly Value[];
}

export type Steps<T> = Generator<StatementRequest, T, unknown>;

/** The first row, or undefined (a SELECT, or a write with RETURNING). */
export function* get<T>(sql: string, params: readonly Value[]): Steps<T | undefined> {
  return (yield { kind: "get", sql, params }) as T | undefined;
}

/** Every row. */
export function* all<T>(sql: string, params: readonly Value[]): Steps<T[]> {
  return (yield { kind: "all", sql, params }) as T[];
}

/** A write; how many rows it changed. */
export function* run(sql: string, params: readonly Value[]): Steps<number> {
  return (yield { kind: "run", sql, params }) as number;
}

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
    const { kind, sql, params } = next.value;
    let statement = prepared.get(sql);
    if (!statement) {
      if (prepared.size >= MAX_PREPARED_PER_CONNECTION) prepared.delete(prepared.keys().next().value!);
      prepared.set(sql, (statement = sqlite.prepare(sql)));
    }
    next = steps.next(kind === "get" ? statement.get(...params) : kind === "all" ? statement.all(...params) : statement.run(...params).changes);
  }
  return next.value;
}

/** Runs `steps` on an engine transaction (or the engine itself, for reads). */
export async function runStepsOn<T>(q: Queryable, steps: Steps<T>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    const { kind, sql, params } = next.value;
    next = steps.next(kind === "get" ? await q.one(sql, params) : kind === "all" ? await q.query(sql, params) : (await q.exec(sql, params)).changes);
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
