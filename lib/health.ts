import { getDb } from "@/db/client";
import packageJson from "@/package.json";

export interface Health {
  ok: boolean;
  db: "ok" | "error";
  version: string;
}

/** Whether the database answers a read of a real table. */
export function checkHealth(): Health {
  try {
    getDb().sqlite.prepare("SELECT count(*) FROM (SELECT 1 FROM raw_events LIMIT 1)").get();
    return { ok: true, db: "ok", version: packageJson.version };
  } catch {
    return { ok: false, db: "error", version: packageJson.version };
  }
}
