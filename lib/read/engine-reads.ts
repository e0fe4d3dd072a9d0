import pg from "pg";
import { PgEngine } from "@/db/pg/engine";
import { runStepsOn } from "@/db/steps";
import { NotFoundError } from "@/lib/http/errors";
import { logger } from "@/lib/log";
import { cancelledAtDeadline, withinDeadline } from "./deadline";
import { HeavyReads, isHeavyRead, timeoutError, type ReadCaller } from "./heavy-reads";
import { READS } from "./reads";
import type { StepsRead } from "./serve";

export interface EngineReadsOptions {
  /** Connections of the read path's own pool (READ_WORKERS). */
  size: number;
  /** Each read's deadline, from the moment it is asked (QUERY_TIMEOUT_MS). */
  timeoutMs: number;
  /** The reads it serves by name (READS; tests add slow ones). */
  reads?: Record<string, StepsRead>;
}

/**
 * The read path on PostgreSQL. The driver is asynchronous, so reads need no threads of their own;
 * they get a pool of their own instead (`size` connections, as SQLite gets `size` read workers), so
 * a burst of dashboard reads never holds the connections the webhook's group commits need. Each read
 * is one repeatable-read transaction (its numbers agree with each other), and each of its statements
 * runs under `statement_timeout` set to what is left of its deadline, waiting for a connection
 * included: past it PostgreSQL cancels the statement and the caller gets 503 query_timeout. Heavy
 * reads are capped per user as on SQLite.
 */
export class EngineReads {
  private readonly engine: PgEngine;
  /** Heavy reads in flight per user: its reads and the exports on its database (streamExport) share the cap. */
  readonly heavy = new HeavyReads();
  private readonly reads: Record<string, StepsRead>;

  constructor(
    pool: pg.Pool,
    private readonly options: EngineReadsOptions,
  ) {
    // No JIT for the read path's sessions: PostgreSQL compiles a statement whose estimated cost
    // passes jit_above_cost, and misestimates (json_array_elements counts as 100 rows) put short
    // reads there. Compiling takes 100–200 ms, more than the ≤ 100 ms these reads are meant to take.
    // The SET is queued on a new connection before the pool hands it out, so it runs first; should
    // it fail, the connection is broken and the read's own first statement reports it.
    pool.on("connect", (client) => void client.query("SET jit = off").catch(() => undefined));
    this.engine = new PgEngine(pool);
    this.reads = options.reads ?? (READS as unknown as Record<string, StepsRead>);
  }

  /** Opens the read path on the database `engine` uses, with a pool of its own. */
  static on(engine: PgEngine, options: EngineReadsOptions): EngineReads {
    // Idle read connections never keep the process alive (scripts, tests).
    return new EngineReads(new pg.Pool({ ...engine.pool.options, max: options.size, allowExitOnIdle: true }), options);
  }

  /** Heavy reads `user` has in flight. */
  heavyReadsOf(user: string): number {
    return this.heavy.of(user);
  }

  /** Runs a named read in one snapshot, within the deadline and the caller's cap. */
  async readByName(name: string, args: unknown, caller: ReadCaller = {}): Promise<unknown> {
    if (!Object.hasOwn(this.reads, name)) throw new NotFoundError(`No read named ${name}.`);
    const build = this.reads[name]!;
    const release = this.heavy.take(isHeavyRead(name), caller);
    const deadline = Date.now() + this.options.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    // Waiting for a connection counts against the deadline; a read that starts late fails at its first statement.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.timedOut(name)), this.options.timeoutMs);
    });
    const read = this.engine
      .transaction((tx) => runStepsOn(withinDeadline(tx, deadline, "transaction"), build(tx.dialect, args)), { isolation: "repeatable read" })
      .catch((err: unknown) => {
        throw cancelledAtDeadline(err) ? this.timedOut(name) : err;
      });
    try {
      return await Promise.race([read, late]);
    } finally {
      clearTimeout(timer);
      // The cap holds until the database is done with the read, not only until its caller is answered.
      void read.catch(() => undefined).finally(release);
    }
  }

  private timedOut(name: string): Error {
    logger().warn({ read: name, timeoutMs: this.options.timeoutMs }, "read cancelled at its deadline");
    return timeoutError(this.options.timeoutMs);
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}
