// autocannon ships no type declarations and there is no @types package installed; this covers only
// the part of its programmatic API that scripts/bench/ingest.ts uses (autocannon 9).
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  namespace autocannon {
    /** The request as autocannon is about to build it; setupRequest may change and return it. */
    interface RequestParams {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
    }

    type Context = Record<string, unknown>;

    interface Request extends RequestParams {
      /** Called before every request is built; returning a falsy value skips the request. */
      setupRequest?: (request: RequestParams, context: Context) => RequestParams | null | undefined;
      /** Called with every response on a connection, before that connection's next request is built. */
      onResponse?: (status: number, body: string, context: Context, headers: Record<string, string | string[]>) => void;
    }

    interface Options {
      /** Several targets: the connections are given to them in turn. */
      url: string | string[];
      method?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      connections?: number;
      /** Seconds. */
      duration?: number;
      pipelining?: number;
      /** Seconds before a request without an answer counts as a timeout. */
      timeout?: number;
      requests?: Request[];
      idReplacement?: boolean;
      initialContext?: Context;
      /** Milliseconds between req/s samples. */
      sampleInt?: number;
    }

    /** Summary of a histogram; percentile keys follow hdr-histogram-percentiles-obj (p50, p97_5, …). */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
    }

    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      resets: number;
      "1xx": number;
      "2xx": number;
      "3xx": number;
      "4xx": number;
      "5xx": number;
      statusCodeStats: Record<string, { count: number }>;
      latency: Histogram;
      requests: Histogram & { sent: number };
      throughput: Histogram;
    }

    /** Returned by autocannon(opts) without a callback: an EventEmitter that is also a promise. */
    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
      on(event: "response", listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
      on(event: "reqError", listener: (error: Error) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
