import type Database from "better-sqlite3";
import { assertNotInOwnTransaction, bindable, runInTransactionContext, type Dialect, type Engine, type HeldLock, type Param, type Queryable } from "../engine";

const MAX_CACHED_STATEMENTS = 500;

export const sqliteDialect: Dialect = {
  name: "sqlite",
  jsonArrayValues: () => "(SELECT value FROM json_each(?))",
  jsonTuples: (types) => `SELECT ${types.map((_, i) => `value ->> ${i} AS c${i}`).join(", ")} FROM json_each(?)`,
  rowsSource: (columns) => ({ sql: `(SELECT ${columns.map(([name]) => `? AS ${name}`).join(", ")}) AS given`, together: false }),
  combineWrites: null,
  jsonArrayAgg: (expr) => `json_group_array(${expr})`,
  least: (a, b) => `min(${a}, ${b})`,
  greatest: (a, b) => `max(${a}, ${b})`,
  rowId: "rowid",
  forUpdate: "",
  skipLocked: "",
};

/**
 * The engine on one better-sqlite3 connection. Statements run synchronously, but a transaction's
 * `fn` may await between them; so every call takes the connection in turn (a FIFO of promises):
 * nothing outside a transaction can slip its statements into it, nor read its uncommitted rows.
 */
export class SqliteEngine implements Engine {
  readonly dialect = sqliteDialect;
  private readonly statements = new Map<string, Database.Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly heldLocks = new Set<number>();

  constructor(readonly sqlite: Database.Database) {}

  query<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.turn(() => this.all<T>(sql, params));
  }

  one<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return this.turn(() => this.get<T>(sql, params));
  }

  exec(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
    return this.turn(() => this.run(sql, params));
  }

  // No options: a SQLite transaction is serializable already.
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    assertNotInOwnTransaction(this);
    return this.turn(async () => {
      let open = true;
      const guard = <R>(op: () => R): Promise<R> => {
        if (!open) return Promise.reject(new Error("transaction handle used after its transaction ended"));
        try {
          return Promise.resolve(op());
        } catch (err) {
          return Promise.reject(err);
        }
      };
      const tx: Queryable = {
        dialect: this.dialect,
        query: (sql, params = []) => guard(() => this.all(sql, params)),
        one: (sql, params = []) => guard(() => this.get(sql, params)),
        exec: (sql, params = []) => guard(() => this.run(sql, params)),
      };
      // IMMEDIATE: the write lock (across processes) is taken before fn reads anything.
      this.prepared("BEGIN IMMEDIATE").run();
      try {
        const result = await runInTransactionContext(this, () => fn(tx));
        this.prepared("COMMIT").run();
        return result;
      } catch (err) {
        if (this.sqlite.inTransaction) this.prepared("ROLLBACK").run();
        throw err;
      } finally {
        open = false;
      }
    });
  }

  // One server process per database file: a lock only has to exclude the other holders in it.
  tryLock(key: number): Promise<HeldLock | undefined> {
    if (this.heldLocks.has(key)) return Promise.resolve(undefined);
    this.heldLocks.add(key);
    let held = true;
    const release = () => {
      if (held) this.heldLocks.delete(key);
      held = false;
      return Promise.resolve();
    };
    return Promise.resolve({
      get held() {
        return held;
      },
      verify: () => Promise.resolve(held),
      release,
    });
  }

  close(): Promise<void> {
    return this.turn(() => {
      this.sqlite.close();
    });
  }

  /** Runs `op` once every earlier call has finished. */
  private turn<R>(op: () => R | Promise<R>): Promise<R> {
    assertNotInOwnTransaction(this);
    const result = this.queue.then(op);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(sql);
      // Filters build SQL text per combination: keep the most recently added few hundred.
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private all<T>(sql: string, params: readonly Param[]): T[] {
    const statement = this.prepared(sql);
    const values = params.map(bindable);
    if (statement.reader) return statement.all(...values) as T[];
    statement.run(...values);
    return [];
  }

  private get<T>(sql: string, params: readonly Param[]): T | undefined {
    const statement = this.prepared(sql);
    const values = params.map(bindable);
    if (statement.reader) return statement.get(...values) as T | undefined;
    statement.run(...values);
    return undefined;
  }

  private run(sql: string, params: readonly Param[]): { changes: number } {
    return { changes: this.prepared(sql).run(...params.map(bindable)).changes };
  }
}
