// `npm run db:copy -- --from ./data/faultline.db --to postgres://user:pass@host:5432/db [--batch 1000]`:
// copies a SQLite install into PostgreSQL (db/copy.ts). Safe to stop and run again: it continues
// where it stopped, and a finished copy run again copies nothing. Exits 1 when counts differ.
import { parseArgs } from "node:util";
import { copySqliteToPostgres, CopyError } from "@/db/copy";
import { withoutPassword } from "@/db/pg/connection";

const USAGE = "usage: npm run db:copy -- --from <sqlite file> --to <postgres://…> [--batch <rows>]";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { from: { type: "string" }, to: { type: "string" }, batch: { type: "string" } } });
  const to = values.to ?? process.env.DATABASE_URL;
  if (!values.from || !to || !/^postgres(ql)?:\/\//.test(to) || (values.batch !== undefined && !/^[1-9]\d*$/.test(values.batch))) {
    console.error(USAGE);
    return 2;
  }
  console.log(`Copying ${values.from} → ${withoutPassword(to)}`);
  let shown = "";
  const report = await copySqliteToPostgres({
    from: values.from,
    to,
    batchRows: values.batch === undefined ? undefined : Number(values.batch),
    onBatch: (table, copied) => {
      if (table !== shown) console.log(`  ${table}…`);
      shown = table;
      console.log(`    ${copied} rows`);
    },
  });
  for (const t of report.tables) console.log(`${t.table}: ${t.copied} copied now; ${t.sourceRows} in SQLite, ${t.targetRows} in PostgreSQL`);
  if (report.mismatched.length) {
    console.error(
      `Row counts differ after the copy: ${report.mismatched.map((t) => `${t.table} (SQLite ${t.sourceRows}, PostgreSQL ${t.targetRows})`).join(", ")}. ` +
        "Was the SQLite server still writing, or did the PostgreSQL database hold other rows? Stop the server and run the copy again.",
    );
    return 1;
  }
  console.log(`Done: ${report.tables.length} tables, counts equal.`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof CopyError ? `db:copy: ${err.message}` : err);
    process.exit(1);
  },
);
