import { AsyncLocalStorage } from "node:async_hooks";

/**
 * How long a write waits for a lock another connection holds before it fails as a storage outage
 * (503, Retry-After): SQLite's busy_timeout, PostgreSQL's lock_timeout. Long enough to ride out a
 * checkpoint or another instance's commit, short enough that a webhook is answered before the
 * sender gives up.
 */
export const LOCK_WAIT_MS = 5_000;

/**
 * The engine boundary lib/ talks to: the same SQL text and the same rows on SQLite (default) and
 * PostgreSQL (DATABASE_URL). Every call is async because PostgreSQL's are; SQLite answers at once.
 *
 * Writing SQL that runs on both:
 * - `?` placeholders only (PostgreSQL gets `$1, $2, …`); booleans bind as 1/0 (flags are 0/1 on both).
 * - Times are epoch-ms integers and ids are integers on both; they come back as JS numbers.
 * - `INSERT … ON CONFLICT DO NOTHING` (not INSERT OR IGNORE); an upsert names its conflict target and
 *   qualifies the old value: `ON CONFLICT (k) DO UPDATE SET n = t.n + excluded.n`.
 * - A parameter PostgreSQL cannot type from its context (a bare `SELECT ?`, `? IS NULL`) needs a cast.
 * - NULLs sort first ascending on SQLite, last on PostgreSQL: say NULLS FIRST/LAST when it matters.
 * - The rest goes through `dialect` below.
 */
export type Param = string | number | bigint | boolean | Buffer | null;

export type Row = Record<string, unknown>;

export interface Queryable {
  readonly dialect: Dialect;
  /** Every row the statement returns (a SELECT, or a write with RETURNING). */
  query<T = Row>(sql: string, params?: readonly Param[]): Promise<T[]>;
  /** The first row, or undefined. */
  one<T = Row>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  /** A write; how many rows it changed. */
  exec(sql: string, params?: readonly Param[]): Promise<{ changes: number }>;
}

export interface TransactionOptions {
  /**
   * PostgreSQL's isolation level (default read committed); SQLite transactions are always
   * serializable. Under "serializable" a transaction PostgreSQL aborts is run again from the start.
   */
  isolation?: "read committed" | "repeatable read" | "serializable";
}

export interface Engine extends Queryable {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. `fn` may
   * be run more than once (PostgreSQL serialization failures and deadlocks are retried), so it
   * must have no effect outside the database until it returns. Inside, use only `tx`: calling the
   * engine itself there throws (on SQLite it would wait for this very transaction).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Takes the lock `key` without waiting, held until released: on PostgreSQL a session advisory
   * lock on a connection of its own, freed by the server when that connection ends (the process
   * died, the session was terminated); on SQLite within this engine (one server process per
   * database file). Undefined while another holder has it.
   */
  tryLock(key: number): Promise<HeldLock | undefined>;
  close(): Promise<void>;
}

/** A lock from Engine.tryLock. */
export interface HeldLock {
  /** False once released or once its connection is known to have ended. */
  readonly held: boolean;
  /** Checks with a round trip on the lock's connection that it still holds (PostgreSQL); `held` afterwards. */
  verify(): Promise<boolean>;
  release(): Promise<void>;
}

/** A column's type in `Dialect.rowsSource`. */
export type RowColumnType = "text" | "integer" | "blob";

/** The few SQL spellings that differ between the engines. */
export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /**
   * A subquery of the elements of one JSON array parameter, for `x IN (…)`: every statement is
   * prepared once whatever the list's length. Bind `JSON.stringify(array)`.
   */
  jsonArrayValues(type: "text" | "integer"): string;
  /**
   * A SELECT of one JSON array-of-arrays parameter as rows of typed columns c0, c1, …:
   * `WITH s(k, a, b) AS (${jsonTuples(["integer", "integer", "integer"])}) …`.
   */
  jsonTuples(types: ReadonlyArray<"text" | "integer">): string;
  /**
   * The FROM item of a statement that writes many rows (`rowsStatement`, db/steps.ts): a relation
   * `given` with the named columns. PostgreSQL: every row from one JSON parameter (blobs as hex),
   * so a group commit's rows cost one round trip (`together`); SQLite: one row of `?`, the
   * statement run once per row, prepared (in process there is no round trip to save).
   */
  rowsSource(columns: ReadonlyArray<readonly [string, RowColumnType]>): { sql: string; together: boolean };
  /**
   * Independent writes (`runTogether`, db/steps.ts) as one statement, their parameters in turn:
   * PostgreSQL's data-modifying WITH (one round trip); null on SQLite, which runs each in turn.
   */
  readonly combineWrites: ((statements: readonly string[]) => string) | null;
  /** An aggregate collecting `expr` into JSON array text. */
  jsonArrayAgg(expr: string): string;
  /** The smaller / larger of two values (SQLite's two-argument min()/max()). */
  least(a: string, b: string): string;
  greatest(a: string, b: string): string;
  /**
   * The physical row identifier, for batched deletes of tables without an id (`DELETE … WHERE
   * <rowId> IN (SELECT <rowId> … LIMIT n)`). SQLite's WITHOUT ROWID tables (the rollups) have none.
   */
  readonly rowId: string;
  /**
   * Appended to a SELECT whose rows the transaction will change from what it read: ` FOR UPDATE`
   * on PostgreSQL (other instances wait until COMMIT); empty on SQLite, whose write transactions
   * (IMMEDIATE) hold the whole database already.
   */
  readonly forUpdate: string;
  /**
   * Appended to a `SELECT … LIMIT n` subquery that picks rows to change: PostgreSQL locks the
   * rows it picks and skips those another transaction holds, so two instances working the same
   * queue never pick the same row; SQLite's writers take turns, so nothing.
   */
  readonly skipLocked: string;
}

/** Binds `value` as both engines store it. */
export function bindable(value: Param): Exclude<Param, boolean> {
  return typeof value === "boolean" ? (value ? 1 : 0) : value;
}

/** The engine whose transaction the current async call chain runs in, if any. */
const insideTransaction = new AsyncLocalStorage<object>();

export function runInTransactionContext<T>(engine: object, fn: () => Promise<T>): Promise<T> {
  return insideTransaction.run(engine, fn);
}

/** Throws when `engine` is called directly from inside one of its own transactions. */
export function assertNotInOwnTransaction(engine: object): void {
  if (insideTransaction.getStore() === engine) {
    throw new Error("called the engine inside its own transaction: use the transaction's handle (tx) instead");
  }
}
