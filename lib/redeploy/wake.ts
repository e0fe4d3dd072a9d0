/**
 * Route handlers run in Next's bundle and the worker in the server's, so they share no module
 * state: the worker leaves its wake-up function on globalThis. Without a worker (tests calling
 * routes directly, `next dev`) waking does nothing and plans wait for a worker. Other instances
 * find a sent plan on their next poll.
 */
const WAKE = Symbol.for("faultline.redeploy.wake");

type GlobalWithWake = typeof globalThis & { [WAKE]?: () => void };

export function setRedeployWake(wake: () => void): void {
  (globalThis as GlobalWithWake)[WAKE] = wake;
}

/** Forgets `wake` unless another worker of this process has set its own since. */
export function clearRedeployWake(wake: () => void): void {
  const global = globalThis as GlobalWithWake;
  if (global[WAKE] === wake) delete global[WAKE];
}

export function wakeRedeployWorker(): void {
  (globalThis as GlobalWithWake)[WAKE]?.();
}
