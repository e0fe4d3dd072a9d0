// `npm run db:backup -- <file>`: an online, consistent backup of DATABASE_PATH while the server runs.
import fs from "node:fs";
import { getSettings } from "@/lib/config";
import { backupDatabase } from "@/lib/ops/backup";
import { runMain, UsageError } from "./demo/cli";

const HELP = `Usage: npm run db:backup -- <file>

Writes a consistent copy of DATABASE_PATH (default ./data/faultline.db) to <file>, also while the
server runs and ingests (SQLite's backup API; the copy is verified with integrity_check before it
gets its final name). Restore it with: npm run db:restore -- <file>`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const [file, ...rest] = args;
  if (!file || rest.length) throw new UsageError("give exactly one backup file name");
  const source = getSettings().DATABASE_PATH;
  if (!fs.existsSync(source)) throw new UsageError(`no database at ${source}`);
  const started = Date.now();
  const { pages } = await backupDatabase(source, file);
  console.log(`Backed up ${source} to ${file} (${pages} pages, ${Date.now() - started} ms)`);
  return 0;
}

runMain(main, "db:backup");
