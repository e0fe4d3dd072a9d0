import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { pipeToNodeResponse } from "next/dist/server/pipe-readable";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { parseSettings } from "@/lib/config";
import { parseExportRequest } from "@/lib/export/options";
import { READ_CHUNK_ROWS } from "@/lib/export/csv";
import { createAppServer } from "@/lib/server/app-server";
import { loadFailureDataset } from "@/lib/testing/failure-dataset";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { ExportRing, RING_SLOTS, ringReturnOf, SLOT_BYTES } from "./export-ring";
import { ReadPool, type ExportStream } from "./pool";

const tempDb = setupTempDatabase({ LOG_LEVEL: "silent" });

describe("an export's ring", () => {
  it("lends each slot until it is given back, once, and tells its chunks from any other bytes", () => {
    const ring = new ExportRing();
    const slots = Array.from({ length: RING_SLOTS }, () => ring.take());
    expect(slots).toEqual([0, 1, 2, 3]);
    expect(ring.take()).toBeUndefined();

    const chunk = ring.lend(1, 10);
    expect(chunk.byteOffset).toBe(SLOT_BYTES);
    const giveBack = ringReturnOf(chunk)!;
    giveBack();
    giveBack();
    expect(ring.take()).toBe(1);
    expect(ring.take()).toBeUndefined();

    // A slot taken for a chunk that came as a buffer of its own is free again at once.
    const own = new Uint8Array(3);
    expect(ring.handedOver(1, own)).toBe(own);
    expect(ring.take()).toBe(1);
    expect(ring.handedOver(undefined, null)).toBeNull();
    expect(ring.sent).toEqual({ fromRing: 1, handedOver: 1 });

    expect(ringReturnOf(new Uint8Array(10))).toBeUndefined();
    expect(ringReturnOf(new Uint8Array(new SharedArrayBuffer(10)))).toBeUndefined();
    expect(ringReturnOf("text")).toBeUndefined();
  });
});

describe("an export streamed through the production server", () => {
  const pool = new ReadPool({ databasePath: tempDb.file, size: 1, timeoutMs: 30_000 });
  let server: http.Server;
  let origin = "";
  const served: ExportStream[] = [];
  const openFailures = (gzip: boolean) => pool.openExport("failures", { request: parseExportRequest(new URLSearchParams({ range: "90d" })) }, { user: "u", bom: false, gzip });

  beforeAll(async () => {
    getDb();
    const now = Date.now();
    loadFailureDataset({ now, count: 4000 });
    // As a route's body reaches the client: Next's own pipe to the response the app server hands it.
    server = createAppServer(parseSettings(process.env), async (req, res) => {
      const exp = await openFailures(req.url === "/gzip");
      served.push(exp);
      res.writeHead(200, { "content-type": "text/csv" });
      await pipeToNodeResponse(exp.body, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    pool.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    tempDb.cleanup();
  });

  it("sends every chunk from its ring, each slot back once the socket took it, the same bytes as one read directly", async () => {
    const direct = await openFailures(false);
    const expected = await new Response(direct.body).text();
    const rows = expected.split("\r\n").length - 2;
    const chunks = Math.ceil(rows / READ_CHUNK_ROWS);
    expect(chunks).toBeGreaterThan(RING_SLOTS + 2);
    // Read directly, nothing gives slots back: the ring's chunks stay intact, the rest are handed over.
    expect(direct.sent).toEqual({ fromRing: RING_SLOTS, handedOver: chunks - RING_SLOTS });

    const response = await fetch(`${origin}/plain`);
    expect(await response.text()).toBe(expected);
    expect(served.at(-1)!.sent).toEqual({ fromRing: chunks, handedOver: 0 });

    const gzipped = await fetch(`${origin}/gzip`, { headers: { "accept-encoding": "identity" } });
    expect(zlib.gunzipSync(Buffer.from(await gzipped.arrayBuffer())).toString()).toBe(expected);
    // One more chunk: the gzip trailer.
    expect(served.at(-1)!.sent).toEqual({ fromRing: chunks + 1, handedOver: 0 });
  }, 60_000);
});
