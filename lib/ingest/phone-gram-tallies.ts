import { inKeyOrder, type Write } from "@/db/steps";
import { gramColumn, PHONE_GRAMS, phoneGramPositions } from "@/lib/phone-grams";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The phone-gram rollup tables (db/schema.ts) and the dimensions beside bucket and reason. */
const TABLES = {
  phone_gram_hour_reason: [],
  phone_gram_day_reason: [],
  phone_gram_hour_line: ["line"],
  phone_gram_hour_template: ["template"],
  phone_gram_day_line: ["line"],
  phone_gram_day_template: ["template"],
} as const satisfies Record<string, readonly string[]>;
type GramTable = keyof typeof TABLES;

/** Every phone-gram rollup table: retention purges them, tests and the demo seed read or reset them. */
export const PHONE_GRAM_ROLLUPS = Object.keys(TABLES) as GramTable[];

const COLUMNS = PHONE_GRAMS.map(gramColumn);

const ADD = Object.fromEntries(
  (Object.entries(TABLES) as Array<[GramTable, readonly string[]]>).map(([table, dims]) => {
    const keys = ["bucket", "reason", ...dims];
    return [
      table,
      `INSERT INTO ${table} (${[...keys, ...COLUMNS].join(", ")}) VALUES (${[...keys, ...COLUMNS].map(() => "?").join(", ")})
       ON CONFLICT (${keys.join(", ")}) DO UPDATE SET ${COLUMNS.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(", ")}`,
    ];
  }),
) as Record<GramTable, string>;

/**
 * The phone-gram counters one ingest transaction adds (lib/phone-grams.ts): gathered in memory,
 * one counter array per rollup row touched, each row upserted once at the end.
 */
export class PhoneGramTallies {
  private readonly rows = new Map<string, { table: GramTable; keys: Array<string | number>; counts: Uint32Array }>();

  count(occurredAt: number, reason: string, line: string, template: string, phoneE164: string | null, cellphone: string | null): void {
    const grams = phoneGramPositions(phoneE164, cellphone);
    if (!grams.length) return;
    const hour = occurredAt - (occurredAt % HOUR_MS);
    const day = occurredAt - (occurredAt % DAY_MS);
    this.add("phone_gram_hour_reason", [hour, reason], grams);
    this.add("phone_gram_day_reason", [day, reason], grams);
    this.add("phone_gram_hour_line", [hour, reason, line], grams);
    this.add("phone_gram_hour_template", [hour, reason, template], grams);
    this.add("phone_gram_day_line", [day, reason, line], grams);
    this.add("phone_gram_day_template", [day, reason, template], grams);
  }

  private add(table: GramTable, keys: Array<string | number>, grams: number[]): void {
    const key = `${table}\u0000${keys.join("\u0000")}`;
    let row = this.rows.get(key);
    if (!row) {
      row = { table, keys, counts: new Uint32Array(PHONE_GRAMS.length) };
      this.rows.set(key, row);
    }
    for (const g of grams) row.counts[g]!++;
  }

  /** The writes of every touched row, in key order; run once, inside the transaction, after the last failure. */
  writes(): Write[] {
    return inKeyOrder(this.rows).map(({ table, keys, counts }) => [ADD[table], [...keys, ...counts]]);
  }
}
