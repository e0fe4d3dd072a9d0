import fs from "node:fs";
import path from "node:path";

/**
 * A copy, under `dir`, of the migrations folder without the migration tagged `…_<tag>` and those
 * after it: what a database an upgrade starts from was migrated with.
 */
export function migrationsBefore(dir: string, tag: string): string {
  const target = path.join(dir, `migrations-before-${tag}`);
  fs.cpSync(path.join(process.cwd(), "db", "migrations"), target, { recursive: true });
  const journalFile = path.join(target, "meta", "_journal.json");
  const journal = JSON.parse(fs.readFileSync(journalFile, "utf8")) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((e) => e.tag.endsWith(`_${tag}`));
  if (at <= 0) throw new Error(`No migration tagged ${tag} after the first`);
  journal.entries = journal.entries.slice(0, at);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  return target;
}
