// `npm run events:reprocess`: normalises every quarantined event again with the current field
// mapping (what POST /api/events/reprocess does), also while the server runs.
import { closeEngine } from "@/db/client";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { reprocessQuarantined } from "@/lib/ingest/reprocess";
import { parseFlags, runMain } from "./demo/cli";

const HELP = `Usage: npm run events:reprocess

Re-processes every quarantined event with the field mapping saved under Settings: those that now
normalise become failures (template statuses, closed sessions) exactly as if they had just arrived
at their original receipt time; the others stay quarantined with their current problems. Running
it again adds nothing. Works on DATABASE_URL when set, else DATABASE_PATH (default
./data/faultline.db), also while the server runs: it writes in short batches and pauses between
them, so webhooks keep being answered.`;

/** Between two batches, so the server's connection gets the write lock. */
const PAUSE_BETWEEN_BATCHES_MS = 25;

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), { help: { type: "boolean", short: "h" } });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  try {
    const result = await reprocessQuarantined({ scope: "quarantined" }, { actor: SYSTEM_ACTOR, ip: null, pauseMs: PAUSE_BETWEEN_BATCHES_MS });
    console.log(`Re-processed ${result.processed} quarantined events: ${result.accepted} accepted, ${result.stillQuarantined} still quarantined.`);
    console.log(JSON.stringify(result));
    return 0;
  } finally {
    await closeEngine();
  }
}

runMain(main, "events:reprocess");
