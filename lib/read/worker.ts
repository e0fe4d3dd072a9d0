// Entry of a read worker thread (bundled to dist/read-worker.mjs by scripts/build.mjs).
import { READS } from "./reads";
import { serveReads, type StepsRead } from "./serve";

serveReads(READS as unknown as Record<string, StepsRead>);
