// Benchmark baseline (a): the minimal Express 5 receiver a Treble user would write from the docs —
// express.json(), a ?token= check, two prepared INSERTs in autocommit mode (so each is its own
// fsync'd transaction under synchronous=FULL), 200 JSON. Started by scripts/bench/ingest.ts.
import express from "express";
import { closeOnSignal, HEALTH_PATH, openBaselineDatabase, prepareInserter, readSettings, toRows, WEBHOOK_PATH } from "./baseline-common";

const settings = readSettings();
const handle = openBaselineDatabase(settings.databasePath);
const inserter = prepareInserter(handle.sqlite);

const app = express();
app.use(express.json({ limit: "1mb" }));

app.get(HEALTH_PATH, (_req, res) => {
  res.json({ ok: true });
});

app.post(WEBHOOK_PATH, (req, res) => {
  if (req.query.token !== settings.secret) {
    res.status(401).json({ error: "invalid token" });
    return;
  }
  const receivedAt = Date.now();
  // express.json() has already parsed the body; re-serialising it is how such a receiver keeps the raw event.
  const rows = toRows(req.body, JSON.stringify(req.body), receivedAt);
  if (!rows) {
    res.status(400).json({ error: "not a deployment.failure event" });
    return;
  }
  const stored = inserter.insert(rows);
  res.json({ ok: true, accepted: stored ? 1 : 0, duplicates: stored ? 0 : 1 });
});

const server = app.listen(settings.port, settings.host, (err?: Error) => {
  if (err) {
    console.error("baseline-express failed to listen:", err);
    process.exit(1);
  }
  console.log(`baseline-express listening on http://${settings.host}:${settings.port}`);
});
closeOnSignal(server, handle);
