import { READS } from "@/lib/read/reads";
import { serveReads, type StepsRead } from "@/lib/read/serve";
import { SLOW_START_MS } from "./slow-reads";

/** A read worker (ReadPoolOptions.workerEntry) that takes SLOW_START_MS to start, then serves every read and export. */
setTimeout(() => serveReads(READS as unknown as Record<string, StepsRead>), SLOW_START_MS);
