/** Error raised by `fetchJson` with the API's error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads the server counts against a user's cap of 2 heavy reads at once (lib/read/pool.ts):
 * lists, aggregates and export counts, as opposed to one failure or incident by id.
 */
const HEAVY_READ = /^\/api\/(stats|facets|failures|incidents)(\?|$)|^\/api\/[a-z]+\/(export|count)\?/;
const HEAVY_READS_AT_ONCE = 2;
/** How often a read refused with 429 is asked again (after its Retry-After) before giving up. */
const RETRIES_WHEN_BUSY = 5;

let heavyInFlight = 0;
const waitingForSlot: Array<() => void> = [];

/** Runs `run` once fewer than HEAVY_READS_AT_ONCE heavy reads of this tab are in flight. */
async function withHeavySlot<T>(run: () => Promise<T>): Promise<T> {
  if (heavyInFlight >= HEAVY_READS_AT_ONCE) await new Promise<void>((resolve) => waitingForSlot.push(resolve));
  else heavyInFlight++;
  try {
    return await run();
  } finally {
    const next = waitingForSlot.shift();
    if (next) next();
    else heavyInFlight--;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * GET/POST JSON from our API; non-2xx answers throw ApiError with the server's message. A tab
 * keeps at most 2 heavy reads in flight (the server's per-user cap), and a GET refused with 429
 * (the same user's other tabs) is asked again after its Retry-After.
 */
export async function fetchJson<T>(path: string, init?: RequestInit): Promise<T> {
  const isGet = (init?.method ?? "GET").toUpperCase() === "GET";
  const once = () => fetch(path, { ...init, headers: { Accept: "application/json", ...init?.headers } });
  const send = async () => {
    for (let attempt = 0; ; attempt++) {
      const response = await once();
      if (!(isGet && response.status === 429 && attempt < RETRIES_WHEN_BUSY)) return response;
      await sleep(Math.max(1, Number(response.headers.get("retry-after")) || 1) * 1000);
    }
  };
  const response = isGet && HEAVY_READ.test(path) ? await withHeavySlot(send) : await send();
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (!response.ok) {
    throw new ApiError(response.status, body?.error?.code ?? "http_error", body?.error?.message ?? `Request failed (${response.status})`);
  }
  return body as T;
}
