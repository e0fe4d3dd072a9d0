/**
 * One contender in the cross-process acknowledge race (lib/incidents/race.test.ts): its own
 * process and SQLite connection, so the two UPDATEs really compete for the database. Waits until
 * the agreed instant, acknowledges, and prints what happened as one line of JSON.
 */
import { acknowledgeIncident } from "@/lib/incidents/acknowledge";
import { ConflictError } from "@/lib/http/errors";

const [id, startAt, email] = process.argv.slice(2);
while (Date.now() < Number(startAt)) {
  // Busy-wait: a timer's granularity would stagger the contenders more than the race itself.
}
try {
  const incident = acknowledgeIncident(id, { note: email }, { actor: { id: null, email: email ?? null }, ip: null });
  console.log(JSON.stringify({ outcome: "acknowledged", by: incident.acknowledgedBy }));
} catch (err) {
  if (!(err instanceof ConflictError)) throw err;
  console.log(JSON.stringify({ outcome: "conflict", current: err.current }));
}
