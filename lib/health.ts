import { getEngine } from "@/db/client";
import packageJson from "@/package.json";

export interface Health {
  ok: boolean;
  db: "ok" | "error";
  version: string;
}

/** Whether the process's database (SQLite's file or PostgreSQL) answers a read of a real table. */
export async function checkHealth(): Promise<Health> {
  try {
    await getEngine().one("SELECT count(*) AS n FROM (SELECT 1 FROM raw_events LIMIT 1) AS probe");
    return { ok: true, db: "ok", version: packageJson.version };
  } catch {
    return { ok: false, db: "error", version: packageJson.version };
  }
}
