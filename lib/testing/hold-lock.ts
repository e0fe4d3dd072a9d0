import type { Engine, Queryable } from "@/db/engine";

/** A promise the test settles when it wants (an answer held back, a lock let go). */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export interface HeldLock {
  /** Ends the holder's transaction (committed, or rolled back with `rollBack`) and waits for it. */
  release(): Promise<void>;
}

/**
 * A third connection for race tests: opens a transaction on `engine`, takes a lock (or writes an
 * uncommitted row) with `take`, and holds it until `release()`. Resolves once it is held, so the
 * contenders started next are sure to meet it.
 */
export async function holdLock(engine: Engine, take: (tx: Queryable) => Promise<unknown>, { rollBack = false } = {}): Promise<HeldLock> {
  const taken = gate();
  const released = gate();
  const rolledBack = new Error("the holder rolls back");
  const holder = engine
    .transaction(async (tx) => {
      await take(tx);
      taken.open();
      await released.promise;
      if (rollBack) throw rolledBack;
    })
    .catch((err: unknown) => {
      if (err !== rolledBack) throw err;
    });
  // A `take` that fails rejects here rather than leaving the test waiting.
  await Promise.race([taken.promise, holder]);
  return {
    async release() {
      released.open();
      await holder;
    },
  };
}
