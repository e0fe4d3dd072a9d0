import { READS } from "@/lib/read/reads";
import { serveReads, type StepsRead } from "@/lib/read/serve";
import { SLOW_READS } from "./slow-reads";

/** A read worker (ReadPoolOptions.workerEntry) serving every read plus the deliberately slow ones of slow-reads.ts. */
serveReads({ ...(READS as unknown as Record<string, StepsRead>), ...SLOW_READS });
