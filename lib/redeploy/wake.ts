/**
 * Route handlers run in Next's bundle and the worker in the server's, so they share no module
 * state: the worker leaves its wake-up function on globalThis. Without a worker (tests calling
 * routes directly, `next dev`) waking does nothing and plans wait for a worker.
 */
const WAKE = Symbol.for("faultline.redeploy.wake");

type GlobalWithWake = typeof globalThis & { [WAKE]?: () => void };

export function setRedeployWake(wake: (() => void) | undefined): void {
  (globalThis as GlobalWithWake)[WAKE] = wake;
}

export function wakeRedeployWorker(): void {
  (globalThis as GlobalWithWake)[WAKE]?.();
}
