import crypto from "node:crypto";
import pg from "pg";
import { assertNotInOwnTransaction, bindable, runInTransactionContext, type Dialect, type Engine, type HeldLock, type Param, type Queryable, type TransactionOptions } from "../engine";
import { openPgPool } from "./connection";

export const postgresDialect: Dialect = {
  name: "postgres",
  jsonArrayValues: (type) => `(SELECT value${type === "integer" ? "::bigint" : ""} FROM json_array_elements_text(?::json) AS value)`,
  jsonTuples: (types) =>
    `SELECT ${types.map((t, i) => `(value ->> ${i})${t === "integer" ? "::bigint" : ""} AS c${i}`).join(", ")} FROM json_array_elements(?::json) AS value`,
  rowsSource: (columns) => ({
    sql: `(SELECT ${columns.map(([name, type], i) => `${type === "integer" ? `(value ->> ${i})::bigint` : type === "blob" ? `decode(value ->> ${i}, 'hex')` : `value ->> ${i}`} AS ${name}`).join(", ")}
      FROM json_array_elements(?::json) AS value) AS given`,
    together: true,
  }),
  // Every data-modifying WITH runs to completion, read by the main query or not.
  combineWrites: (statements) => `WITH ${statements.map((sql, i) => `write_${i} AS (${sql})`).join(", ")} SELECT 1`,
  jsonArrayAgg: (expr) => `coalesce(json_agg(${expr}), '[]'::json)::text`,
  least: (a, b) => `least(${a}, ${b})`,
  greatest: (a, b) => `greatest(${a}, ${b})`,
  rowId: "ctid",
  forUpdate: " FOR UPDATE",
  skipLocked: "FOR UPDATE SKIP LOCKED",
};

/**
 * `?` placeholders as PostgreSQL's `$1, $2, …`, leaving quoted text, quoted names and comments
 * alone. Cached per SQL text (lib/ builds a bounded set of statements).
 */
export function numberPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "?") {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  return out;
}

/** Statements through `run` (one connection: a transaction's, or a session of one's own). */
function queryableOf(run: (sql: string, params: readonly Param[]) => Promise<pg.QueryResult>): Queryable {
  return {
    dialect: postgresDialect,
    query: async (sql, params = []) => (await run(sql, params)).rows,
    one: async (sql, params = []) => (await run(sql, params)).rows[0],
    exec: async (sql, params = []) => ({ changes: (await run(sql, params)).rowCount ?? 0 }),
  };
}

/**
 * Statements on `client`, a connection of its own (an export's): its session's temporary tables
 * and settings last as long as it does.
 */
export function onConnection(client: pg.ClientBase): Queryable {
  return queryableOf((sql, params) => client.query(numberPlaceholders(sql), params.map(bindable)));
}

const MAX_CACHED_TEXTS = 500;

/**
 * Statements in transactions are named, so each connection parses and plans them once and then
 * only binds and runs them: ingest's group commit is a dozen statements, one a many-CTE upsert
 * whose planning cost more than its execution. Their shapes are finite; the bound keeps a text
 * built from values (a bug) from filling the server's memory with prepared statements.
 */
const MAX_NAMED_STATEMENTS = 200;

/**
 * A prepared statement's name, from its text: the server's bundle and Next's each have a PgEngine
 * on the one pool (db/client.ts), and a connection holds one statement per name.
 */
function statementName(text: string, generation: number): string {
  return `faultline_${generation}_${crypto.createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
}

/** "cached plan must not change result type": a prepared statement's table changed shape under it. */
function isStalePreparedStatement(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "0A000" && /cached plan/.test((err as Error).message);
}

/** SQLSTATEs after which a transaction succeeds when simply run again. */
const RETRYABLE = new Set(["40001" /* serialization_failure */, "40P01" /* deadlock_detected */]);

/** A serialization failure or deadlock: the transaction succeeds when run again from the start. */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE.has(code);
}
const MAX_ATTEMPTS = 10;

interface LockSession {
  client: pg.Client;
  /** False once the connection has ended. */
  alive: boolean;
}

/** The engine on a node-postgres pool: statements on any pooled connection, a transaction on one. */
export class PgEngine implements Engine {
  readonly dialect = postgresDialect;
  private readonly texts = new Map<string, string>();
  /** Transactions run again after a serialization failure or deadlock (for tests and metrics). */
  retries = 0;
  /** The connection of a lock attempt that failed, kept for the next attempt. */
  private spareLockSession: LockSession | undefined;

  constructor(readonly pool: pg.Pool) {}

  static open(url: string, maxConnections?: number): PgEngine {
    return new PgEngine(openPgPool(url, maxConnections));
  }

  async query<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    assertNotInOwnTransaction(this);
    return (await this.pool.query(this.text(sql), params.map(bindable))).rows as T[];
  }

  async one<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  async exec(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
    assertNotInOwnTransaction(this);
    return { changes: (await this.pool.query(this.text(sql), params.map(bindable))).rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    try {
      return await this.transactionOnce(fn, options);
    } catch (err) {
      if (!isStalePreparedStatement(err)) throw err;
      // A table changed shape under the prepared statements (another instance migrated): run it
      // again under new names, which every connection prepares afresh.
      this.names.clear();
      this.namesGeneration++;
      return this.transactionOnce(fn, options);
    }
  }

  private async transactionOnce<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions): Promise<T> {
    assertNotInOwnTransaction(this);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        let open = true;
        const run = async (sql: string, params: readonly Param[]) => {
          if (!open) throw new Error("transaction handle used after its transaction ended");
          return client.query(this.statement(sql, params));
        };
        const tx = queryableOf(run);
        await client.query(`BEGIN ISOLATION LEVEL ${(options.isolation ?? "read committed").toUpperCase()}`);
        try {
          const result = await runInTransactionContext(this, () => fn(tx));
          await client.query("COMMIT");
          return result;
        } catch (err) {
          await client.query("ROLLBACK").catch((rollbackErr: Error) => {
            broken = rollbackErr;
          });
          if (broken || !isRetryableConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
          this.retries++;
          // A little jitter, so the transactions that collided do not collide again in step.
          await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
        } finally {
          open = false;
        }
      }
    } finally {
      // A connection whose rollback failed is not given to anyone else.
      client.release(broken);
    }
  }

  async tryLock(key: number): Promise<HeldLock | undefined> {
    const session = await this.lockSession();
    const locked = await session.client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [key]).then(
      ({ rows }) => rows[0]?.locked === true,
      async (err: unknown) => {
        await session.client.end().catch(() => undefined);
        throw err;
      },
    );
    if (!locked) {
      // An instance that does not lead tries again every few seconds: on this same connection.
      this.spareLockSession = session;
      return undefined;
    }
    let released = false;
    const held = () => session.alive && !released;
    return {
      get held() {
        return held();
      },
      verify: async () => {
        if (held()) await session.client.query("SELECT 1").catch(() => (session.alive = false));
        return held();
      },
      release: async () => {
        if (released) return;
        released = true;
        // Ending the session frees its advisory locks.
        await session.client.end().catch(() => undefined);
      },
    };
  }

  /**
   * A connection outside the pool for a lock: the lock lives as long as this session, and closing
   * the pool must not wait for it.
   */
  private async lockSession(): Promise<LockSession> {
    const spare = this.spareLockSession;
    this.spareLockSession = undefined;
    if (spare?.alive) return spare;
    await spare?.client.end().catch(() => undefined);
    const session: LockSession = { client: new pg.Client(this.pool.options), alive: true };
    // The server ending the session (pg_terminate_backend, a restart) arrives as an error event;
    // without a listener it would crash the process.
    session.client.on("error", () => (session.alive = false));
    session.client.on("end", () => (session.alive = false));
    await session.client.connect();
    return session;
  }

  async close(): Promise<void> {
    await this.spareLockSession?.client.end().catch(() => undefined);
    await this.pool.end();
  }

  private readonly names = new Map<string, string>();
  private namesGeneration = 0;

  /** `sql` for a transaction's connection: named (prepared once per connection) while the bound allows. */
  private statement(sql: string, params: readonly Param[]): pg.QueryConfig {
    let name = this.names.get(sql);
    if (name === undefined && this.names.size < MAX_NAMED_STATEMENTS) this.names.set(sql, (name = statementName(this.text(sql), this.namesGeneration)));
    return { name, text: this.text(sql), values: params.map(bindable) };
  }

  private text(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) {
      text = numberPlaceholders(sql);
      if (this.texts.size >= MAX_CACHED_TEXTS) this.texts.delete(this.texts.keys().next().value!);
      this.texts.set(sql, text);
    }
    return text;
  }
}
