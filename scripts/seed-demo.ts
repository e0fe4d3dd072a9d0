// `npm run seed:demo`: fills the database with ~90 days of realistic Treble history so a newcomer
// sees a living dashboard. Events go through the endpoint's own normalisation and storage code.
import type Database from "better-sqlite3";
import { openDatabase, type DbHandle } from "@/db/client";
import { getSettings } from "@/lib/config";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { PHONE_GRAM_ROLLUPS } from "@/lib/ingest/phone-gram-tallies";
import { storeEvents, type PreparedEvent } from "@/lib/ingest/store";
import { numberFlag, parseFlags, runMain, stringFlag, type FlagValues } from "./demo/cli";
import { historyEvents } from "./demo/traffic";

const HELP = `Usage: npm run seed:demo -- [options]

Adds ~90 days of realistic deployment failures (and the hsm.status events of templates disabled
and re-approved along the way), ending now, to Faultline's database. Every event goes through the
webhook's normalisation and deduplication, exactly as if Treble had sent it.

Options:
  --db <file>          SQLite file (default: DATABASE_PATH, else ./data/faultline.db)
  --failures <n>       Deployment failures to generate (default 220000)
  --days <n>           Days of history, ending now (default 90)
  --seed <n>           Seed (default 1). Event ids derive from it, so running again with the same
                       seed adds (almost) nothing: only the ~3% of events sent without an event_id,
                       deduplicated by content, which includes their (new) times
  --reset              Delete every stored event first, with what derives from it (failures,
                       hsm.status history, incidents and their activity, rollups); settings
                       such as the webhook secret are kept
  --batch <n>          Events per transaction (default 5000)
  -h, --help           Show this help

It may run while the server is up (each transaction is short; webhooks wait for it meanwhile).`;

interface SeedOptions {
  db: string;
  failures: number;
  days: number;
  seed: number;
  reset: boolean;
  batch: number;
}

function parseOptions(values: FlagValues): SeedOptions {
  return {
    // Settings are read (and validated) only when they are needed.
    db: stringFlag(values, "db") ?? getSettings().DATABASE_PATH,
    failures: numberFlag(values, "failures", 220_000, { min: 1, max: 20_000_000, integer: true }),
    days: numberFlag(values, "days", 90, { min: 0, minInclusive: false, max: 3650 }),
    seed: numberFlag(values, "seed", 1, { min: 0, max: 2 ** 32 - 1, integer: true }),
    reset: values.reset === true,
    batch: numberFlag(values, "batch", 5000, { min: 1, max: 100_000, integer: true }),
  };
}

interface Counts {
  raw: number;
  failures: number;
  statuses: number;
}

function counts(sqlite: Database.Database): Counts {
  const count = (table: string) => (sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { raw: count("raw_events"), failures: count("failures"), statuses: count("template_status_events") };
}

/**
 * Event tables and everything derived from them (incidents, rollups), children before parents
 * because of the foreign keys. Settings (the webhook secret) are not events and stay.
 */
const EVENT_TABLES = [
  "incident_activity",
  "incident_contacts",
  "incident_hours",
  "template_status_events",
  "failures",
  "incidents",
  "rollup_quarter_reason",
  "rollup_hour_reason",
  "rollup_day_reason",
  "rollup_hour_line",
  "rollup_hour_template",
  "rollup_day_line",
  "rollup_day_template",
  "rollup_hour",
  "rollup_day",
  ...PHONE_GRAM_ROLLUPS,
  "contact_sketch_hour",
  "contact_sketch_day",
  "contact_state",
  "contact_state_quarters",
  "contact_lacking_quarters",
  "raw_events",
];

/** Deletes every stored event and what was derived from it, in one transaction. */
function reset(sqlite: Database.Database): string[] {
  const existing = new Set(
    (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name),
  );
  const tables = EVENT_TABLES.filter((t) => existing.has(t));
  sqlite.transaction(() => {
    for (const table of tables) sqlite.exec(`DELETE FROM ${table}`);
  })();
  return tables;
}

interface Written {
  accepted: number;
  duplicates: number;
}

/** Generates the history and stores it `batch` events per transaction. */
function seed(handle: DbHandle, options: SeedOptions, end: number): Written {
  const start = end - options.days * 86_400_000;
  const written: Written = { accepted: 0, duplicates: 0 };
  let pending: PreparedEvent[] = [];
  const flush = () => {
    const result = storeEvents(handle, pending);
    written.accepted += result.accepted;
    written.duplicates += result.duplicates;
    pending = [];
  };
  let generated = 0;
  for (const item of historyEvents({ seed: options.seed, start, end, failures: options.failures })) {
    // Never received in the future: the last events' delivery delay is cut at "now".
    const receivedAt = Math.min(item.deliveredAt, end);
    pending.push(prepareEvent(item.event, JSON.stringify(item.event), receivedAt));
    if (pending.length >= options.batch) flush();
    if (++generated % 50_000 === 0) console.log(`  … ${generated} events`);
  }
  if (pending.length) flush();
  return written;
}

async function main(): Promise<number> {
  const values = parseFlags(process.argv.slice(2), {
    db: { type: "string" },
    failures: { type: "string" },
    days: { type: "string" },
    seed: { type: "string" },
    reset: { type: "boolean" },
    batch: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const options = parseOptions(values);
  const started = performance.now();
  const handle = openDatabase(options.db);
  try {
    // A seed can simply be run again: durability of each commit (synchronous=FULL) buys nothing here.
    handle.sqlite.pragma("synchronous = NORMAL");
    // Millions of rows: keep the indexes' hot pages in memory (random keys such as phones and event
    // ids touch pages all over them); the default 2 MB cache re-reads them from the OS at every insert.
    handle.sqlite.pragma("cache_size = -524288");
    if (options.reset) {
      const tables = reset(handle.sqlite);
      console.log(`Cleared ${tables.join(", ")} in ${options.db}`);
    }
    const before = counts(handle.sqlite);
    console.log(`Seeding ${options.db}: ${options.failures} failures over ${options.days} days (seed ${options.seed})…`);
    const written = seed(handle, options, Date.now());
    const after = counts(handle.sqlite);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      [
        `Done in ${seconds.toFixed(1)} s: ${written.accepted} events stored, ${written.duplicates} already present (deduplicated).`,
        `  raw_events             +${after.raw - before.raw} (now ${after.raw})`,
        `  failures               +${after.failures - before.failures} (now ${after.failures})`,
        `  template_status_events +${after.statuses - before.statuses} (now ${after.statuses})`,
      ].join("\n"),
    );
    handle.sqlite.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    handle.sqlite.close();
  }
  return 0;
}

runMain(main, "seed:demo");
