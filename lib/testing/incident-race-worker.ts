/**
 * One contender in a cross-process incident race (lib/incidents/race.test.ts): its own process
 * and SQLite connection, so the UPDATEs really compete for the database. Opens the database,
 * prints "ready", reads the agreed start instant (epoch ms) from stdin, busy-waits until then,
 * reads the status it is about to act on, acts, and prints what happened as one line of JSON.
 * Arguments: <action: acknowledge|resolve|snooze> <incident id> <actor e-mail>
 */
import readline from "node:readline";
import { getDb } from "@/db/client";
import { ConflictError } from "@/lib/http/errors";
import { acknowledgeIncident } from "@/lib/incidents/acknowledge";
import { resolveIncident } from "@/lib/incidents/resolve";
import { snoozeIncident } from "@/lib/incidents/snooze";

const VERBS = {
  acknowledge: (id: string, by: Parameters<typeof acknowledgeIncident>[2]) => acknowledgeIncident(id, { note: by.actor.email }, by),
  resolve: (id: string, by: Parameters<typeof resolveIncident>[2]) => resolveIncident(id, { note: by.actor.email }, by),
  snooze: (id: string, by: Parameters<typeof snoozeIncident>[2]) => snoozeIncident(id, { hours: 1, note: by.actor.email }, by),
};

const [action, id, email] = process.argv.slice(2) as [keyof typeof VERBS, string, string];

async function main() {
  const sqlite = getDb().sqlite;
  const readStatus = sqlite.prepare("SELECT status FROM incidents WHERE id = ?").pluck();
  console.log("ready");
  const startAt = await new Promise<string>((resolve) => readline.createInterface({ input: process.stdin }).once("line", resolve));
  while (Date.now() < Number(startAt)) {
    // Busy-wait: a timer's granularity would stagger the contenders more than the race itself.
  }
  const sawBefore = readStatus.get(id);
  try {
    const incident = await VERBS[action](id, { actor: { id: null, email }, ip: null });
    console.log(JSON.stringify({ outcome: "won", sawBefore, status: incident.status, by: email }));
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    console.log(JSON.stringify({ outcome: "conflict", sawBefore, current: err.current }));
  }
  process.exit(0);
}

void main();
