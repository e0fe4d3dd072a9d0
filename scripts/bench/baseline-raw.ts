// Benchmark baseline (b): raw node:http + prepared statements, close to the limit of one Node
// process — read the body, JSON.parse, one transaction inserting the raw_events + failures rows
// (one fsync per request under synchronous=FULL, none with BASELINE_SYNCHRONOUS=NORMAL), answer. Started by scripts/bench/ingest.ts.
import http from "node:http";
import { closeOnSignal, HEALTH_PATH, openBaselineDatabase, prepareInserter, readSettings, toRows, WEBHOOK_PATH } from "./baseline-common";

const settings = readSettings();
const handle = openBaselineDatabase(settings.databasePath);
// BASELINE_SYNCHRONOUS=NORMAL: the near-limit receiver (no fsync per commit in WAL mode).
if (process.env.BASELINE_SYNCHRONOUS === "NORMAL") handle.sqlite.pragma("synchronous = NORMAL");
const inserter = prepareInserter(handle.sqlite);
const insertOne = handle.sqlite.transaction((rows: Parameters<typeof inserter.insert>[0]) => inserter.insert(rows));

const MAX_BODY_BYTES = 1024 * 1024;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function tokenOf(url: string): string | null {
  const q = url.indexOf("?");
  return q === -1 ? null : new URLSearchParams(url.slice(q + 1)).get("token");
}

const server = http.createServer((req, res) => {
  const url = req.url ?? "/";
  if (req.method === "GET" && url === HEALTH_PATH) {
    send(res, 200, { ok: true });
    return;
  }
  if (req.method !== "POST" || !(url === WEBHOOK_PATH || url.startsWith(`${WEBHOOK_PATH}?`))) {
    send(res, 404, { error: "not found" });
    return;
  }
  if (tokenOf(url) !== settings.secret) {
    send(res, 401, { error: "invalid token" });
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    // Same bound as Faultline; past it, stop buffering and let the 413 below close things.
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on("end", () => {
    if (size > MAX_BODY_BYTES) {
      send(res, 413, { error: "body too large" });
      return;
    }
    const payload = Buffer.concat(chunks, size).toString("utf8");
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      send(res, 400, { error: "malformed JSON" });
      return;
    }
    const rows = toRows(body, payload, Date.now());
    if (!rows) {
      send(res, 400, { error: "not a deployment.failure event" });
      return;
    }
    const stored = insertOne(rows);
    send(res, 200, { ok: true, accepted: stored ? 1 : 0, duplicates: stored ? 0 : 1 });
  });
});
server.keepAliveTimeout = 5000;

server.listen(settings.port, settings.host, () => {
  console.log(`baseline-raw listening on http://${settings.host}:${settings.port}`);
});
closeOnSignal(server, handle);
