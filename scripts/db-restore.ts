// `npm run db:restore -- <file>`: replaces DATABASE_PATH with a backup. Stop the server first.
import { getSettings } from "@/lib/config";
import { restoreDatabase } from "@/lib/ops/backup";
import { runMain, UsageError } from "./demo/cli";

const HELP = `Usage: npm run db:restore -- <file>

Stop the server first. Verifies the backup (integrity_check, Faultline's tables), removes the
current database's -wal and -shm files, and atomically replaces DATABASE_PATH (default
./data/faultline.db) with the backup. Then start the server again; it applies any newer migrations.`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const [file, ...rest] = args;
  if (!file || rest.length) throw new UsageError("give exactly one backup file name");
  const target = getSettings().DATABASE_PATH;
  restoreDatabase(file, target);
  console.log(`Restored ${target} from ${file}`);
  return 0;
}

runMain(main, "db:restore");
