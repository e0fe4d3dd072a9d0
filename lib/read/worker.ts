// Entry of a read worker thread (bundled to dist/read-worker.mjs by scripts/build.mjs).
import { READS, SQLITE_READS } from "./reads";
import { serveReads, type SqliteRead, type StepsRead } from "./serve";

serveReads(READS as unknown as Record<string, StepsRead>, SQLITE_READS as unknown as Record<string, SqliteRead>);
