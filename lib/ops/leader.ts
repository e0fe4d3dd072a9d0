import type { Engine, HeldLock } from "@/db/engine";
import { logger } from "@/lib/log";
import { runPeriodically } from "./periodic";

/**
 * The advisory lock the leader holds (an arbitrary constant, apart from MIGRATION_LOCK_KEY in
 * db/pg/migrate.ts).
 */
export const LEADER_LOCK_KEY = 7_346_512_002;

/** How often every instance checks its leadership, or tries to take it over. */
export const LEADER_TICK_MS = 5_000;

/** Whether this process runs the work done once per cluster (what runAsLeader asks). */
export interface Leadership {
  isLeader(): boolean;
}

/**
 * The work done once per cluster (incident timers, retention, auth pruning, timed alert rules)
 * runs on one instance, the leader: the holder of the engine's lock LEADER_LOCK_KEY (on
 * PostgreSQL a session advisory lock on a connection of its own). Every instance tries to take it
 * on each tick, so when the leader dies — its connection closes and the server frees the lock — or
 * its session is ended, another instance leads within a tick. The leader checks its connection
 * on each tick too, and stops leading as soon as it is lost. On SQLite the one process leads.
 */
export class Leader implements Leadership {
  private lock: HeldLock | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly tickMs = LEADER_TICK_MS,
  ) {}

  isLeader(): boolean {
    return this.lock?.held ?? false;
  }

  /** Tries to lead now (resolved once tried) and on every tick after, until stop(). */
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
    await this.tick();
  }

  /** Stops trying and gives the leadership up (another instance takes it at its next tick). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await this.lock?.release();
    this.lock = undefined;
  }

  private tick(): Promise<void> {
    // A tick still waiting on the database (a slow connect) makes the next one skip.
    this.ticking ??= this.checkOrTakeOver().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async checkOrTakeOver(): Promise<void> {
    try {
      if (this.lock && !(await this.lock.verify())) {
        await this.lock.release();
        this.lock = undefined;
        logger().warn("lost the leadership (its database connection ended); retrying every tick");
      }
      if (this.lock || this.stopped) return;
      const lock = await this.engine.tryLock(LEADER_LOCK_KEY);
      // stop() came while it was being taken.
      if (this.stopped) return await lock?.release();
      this.lock = lock;
      if (lock) logger().info({ pid: process.pid }, "leading: this instance runs the timers, retention and timed alert rules");
    } catch (err) {
      logger().warn({ err: (err as Error).message }, "leadership check failed; retrying at the next tick");
    }
  }
}

/**
 * runPeriodically whose runs do `job` only while `leader` leads: scheduled on every instance, done
 * by one (a tick of an instance that is not leading does nothing).
 */
export function runAsLeader(leader: Leadership, what: string, everyMs: number, job: () => Promise<void>): () => void {
  return runPeriodically(what, everyMs, async () => {
    if (leader.isLeader()) await job();
  });
}
