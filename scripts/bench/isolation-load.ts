// The heavy-read clients of bench:isolation (scripts/bench/isolation.ts), in a process of their
// own: reading four 190 MB CSV exports keeps an event loop busy, and in the process that posts the
// webhooks that time would be counted as the server's. Each client (its own operator token) loops
// over the reads from its own offset, reading every body to its end without keeping it. On SIGTERM
// it stops starting reads, aborts those in flight and prints what was answered as one JSON line.
//
//   node --import tsx scripts/bench/isolation-load.ts '{"base":"http://127.0.0.1:PORT","tokens":[…],"urls":[…]}'
import { drainBody } from "./harness";

export interface LoadPlan {
  base: string;
  tokens: string[];
  urls: string[];
}

export interface LoadTally {
  /** Answers by HTTP status (or error message) of the reads that ended. */
  statuses: Record<string, number>;
  durationsMs: number[];
  /** Reads still running when the phase ended (aborted then). */
  inFlight: number;
}

const plan = JSON.parse(process.argv[2] ?? "") as LoadPlan;
const tallies: Record<string, LoadTally> = Object.fromEntries(plan.urls.map((url) => [url, { statuses: {}, durationsMs: [], inFlight: 0 }]));
const stop = new AbortController();

async function client(token: string, offset: number): Promise<void> {
  for (let i = offset; !stop.signal.aborted; i++) {
    const url = plan.urls[i % plan.urls.length]!;
    const tally = tallies[url]!;
    const started = performance.now();
    tally.inFlight++;
    try {
      const response = await fetch(`${plan.base}${url}`, { headers: { Authorization: `Bearer ${token}` }, signal: stop.signal });
      await drainBody(response.body);
      tally.statuses[response.status] = (tally.statuses[response.status] ?? 0) + 1;
      tally.durationsMs.push(performance.now() - started);
    } catch (err) {
      if (stop.signal.aborted) return; // counted as in flight
      const message = (err as Error).message;
      tally.statuses[message] = (tally.statuses[message] ?? 0) + 1;
      tally.durationsMs.push(performance.now() - started);
    }
    tally.inFlight--;
  }
}

const clients = plan.tokens.map((token, i) => client(token, i));
process.once("SIGTERM", () => {
  stop.abort();
  void Promise.all(clients).then(() => {
    process.stdout.write(`${JSON.stringify(tallies)}\n`, () => process.exit(0));
  });
});
