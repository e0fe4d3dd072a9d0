// Entry of the ingest worker thread (bundled to dist/ingest-worker.mjs by scripts/build.mjs).
import { serveIngest } from "./serve-ingest";

serveIngest();
