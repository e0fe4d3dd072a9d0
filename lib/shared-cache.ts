import { getEngine } from "@/db/client";
import type Database from "better-sqlite3";
import type { Engine } from "@/db/engine";
import { SqliteEngine } from "@/db/sqlite/engine";
import { logger } from "@/lib/log";

/** How stale a held value may get before it is re-read: a change on another instance takes effect within about this long. */
export const SHARED_CACHE_MAX_AGE_MS = 1000;

interface Entry<T> {
  /** Read from this dialect's engine: tests switch engines, and a value of one must not answer for the other. */
  dialect: Engine["dialect"]["name"];
  at: number;
  value: T;
  refreshing: boolean;
}

interface Holder<T> {
  entry?: Entry<T>;
  /** Bumped by every change made through this process, so a re-read that began before it never stores the old value after it. */
  version: number;
}

/**
 * A small value read from the database and held in memory for hot paths (the webhook's secrets
 * and field mapping, the line labels).
 * - Shared through globalThis: the webhook listener's bundle and Next's each load the modules that
 *   use it, and a change saved through either must reach both at once.
 * - Older than SHARED_CACHE_MAX_AGE_MS it is re-read in the background while callers keep getting
 *   the value held: several instances share one database, and a change saved on another instance
 *   must reach this one without any caller waiting for it.
 */
export class SharedCache<T> {
  private readonly holder: Holder<T>;

  constructor(
    private readonly what: string,
    private readonly load: (engine: Engine, now: number) => Promise<T>,
  ) {
    const registry = globalThis as Record<symbol, Holder<T> | undefined>;
    const key = Symbol.for(`faultline.cache.${what}`);
    this.holder = registry[key] ??= { version: 0 };
  }

  /** The value held for the current engine (undefined when none is), re-read in the background when stale. */
  peek(now = Date.now()): T | undefined {
    const entry = this.holder.entry;
    if (entry?.dialect !== getEngine().dialect.name) return undefined;
    const stale = now - entry.at >= SHARED_CACHE_MAX_AGE_MS || now < entry.at;
    if (stale && !entry.refreshing) {
      entry.refreshing = true;
      void this.read(now)
        .catch((err: unknown) => logger().error({ err }, `${this.what} refresh failed; the value held stays in use`))
        .finally(() => (entry.refreshing = false));
    }
    return entry.value;
  }

  /**
   * For hot paths that cannot wait: the value held, or, none held yet on SQLite (a route handler
   * called without a server start), read synchronously from its connection. On PostgreSQL the
   * server reads it at start, so none held is a bug (`notLoaded` says which start step is missing).
   */
  heldOrRead(now: number, readSqlite: (sqlite: Database.Database) => T, notLoaded: string): T {
    const held = this.peek(now);
    if (held) return held;
    const engine = getEngine();
    if (!(engine instanceof SqliteEngine)) throw new Error(notLoaded);
    return this.hold(readSqlite(engine.sqlite), now);
  }

  /** The value, read first when none is held. */
  async get(now = Date.now()): Promise<T> {
    return this.peek(now) ?? this.read(now);
  }

  /** Reads the value now and holds it (at start, or after a change: see `changed`). */
  async read(now = Date.now()): Promise<T> {
    const engine = getEngine();
    const version = this.holder.version;
    const value = await this.load(engine, now);
    if (this.holder.version === version) this.hold(value, now, engine.dialect.name);
    return value;
  }

  /** Holds a value known to be current (read synchronously, or just written). */
  hold(value: T, now = Date.now(), dialect = getEngine().dialect.name): T {
    this.holder.entry = { dialect, at: now, value, refreshing: false };
    return value;
  }

  /** Call after this process changed the value, before holding or re-reading it: re-reads already under way are discarded. */
  changed(): void {
    this.holder.version++;
  }

  /** Forgets the value (tests that write the database behind the cache's back). */
  clear(): void {
    this.holder.entry = undefined;
  }
}
