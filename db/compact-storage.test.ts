import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { addToSketch, decodeSketch, emptySketch, HLL_REGISTERS } from "@/lib/hll";
import { decodeDedupeKey } from "@/lib/ingest/compact-values";
import { PAYLOAD_CODEC_DEFLATE_V1, PAYLOAD_CODEC_DEFLATE_V1_ID_CUT } from "@/lib/ingest/payload-codec";
import { getFailure } from "@/lib/queries/failures";
import { quarantined } from "@/lib/queries/quarantine";
import { databaseBefore } from "@/lib/testing/migrations-before";
import { openDatabase } from "./client";
import { runSteps } from "./steps";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-compact-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 2, 1, 10);
const texts = {
  failure: '{ "event_id":"6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718", "failure_reason" : "INVALID_PHONE",\n\t"user":{"country_code":"57","cellphone":"3001234567"}, "note":"Señora 👩🏽‍💻", "data":{"session":{"external_id":"ses_42"}} }',
  /** A type Faultline does not read: kept raw, with its type. */
  otherType: '{"event_type":"conversation.closed","event_id":"old-4"}',
  quarantined: '{"event_id":"old-2","failure_reason":42,  "x":"\\u00e9"}',
  /** Its id spelled with an escape: the text does not hold the key, so its payload keeps codec 1. */
  escapedId: '{"event_id":"old\\u002d3","failure_reason":42}',
};

const UUID_KEY = "6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718";
const SESSION_KEYS = '[{"key":"deployment_squad","value":"DS_573001234567"},{"key":"segment","value":"vip"}]';

describe("migrations compact_storage, compact_keys, payload_id_cut and lean_rows", () => {
  it("converts the payloads, contact sketches, dedupe keys, session keys and event types of an existing database, which stay readable", () => {
    const file = path.join(dir, "upgrade.db");
    const old = databaseBefore(dir, file, "compact_storage");
    const insertRaw = old.prepare(
      `INSERT INTO raw_events (dedupe_key, event_id, event_type, occurred_at, received_at, payload, problems) VALUES (?, ?, 'deployment.failure', ?, ?, ?, ?)`,
    );
    const failureRaw = insertRaw.run(UUID_KEY, UUID_KEY, T0, T0, texts.failure, null).lastInsertRowid;
    insertRaw.run("old-2", "old-2", T0, T0, texts.quarantined, '[{"path":"failure_reason","message":"must be text"}]');
    insertRaw.run("old-3", "old-3", T0, T0, texts.escapedId, '[{"path":"failure_reason","message":"must be text"}]');
    old.prepare(`INSERT INTO raw_events (dedupe_key, event_id, event_type, occurred_at, received_at, payload) VALUES ('old-4', 'old-4', 'conversation.closed', ?, ?, ?)`).run(T0, T0, texts.otherType);
    const incident = old
      .prepare(`INSERT INTO incidents (reason, line_key, template_key, first_seen, last_seen, failures, updated_at) VALUES ('INVALID_PHONE', '', '', ?, ?, 1, ?)`)
      .run(T0, T0, T0).lastInsertRowid;
    const failureId = old
      .prepare(
        `INSERT INTO failures (raw_event_id, dedupe_key, occurred_at, received_at, reason, reason_known, country_code, cellphone, phone_e164, session_id, user_session_keys, incident_id)
         VALUES (?, ?, ?, ?, 'INVALID_PHONE', 1, '57', '3001234567', '+573001234567', 'ses_42', ?, ?)`,
      )
      .run(failureRaw, UUID_KEY, T0, T0, SESSION_KEYS, incident).lastInsertRowid;
    const few = emptySketch();
    for (let i = 0; i < 40; i++) addToSketch(few, `+57300${i}`);
    const many = emptySketch();
    for (let i = 0; i < 5000; i++) addToSketch(many, `+57301${i}`);
    const insertSketch = old.prepare(`INSERT INTO contact_sketch_hour (bucket, reason, registers) VALUES (?, ?, ?)`);
    insertSketch.run(T0, "INVALID_PHONE", Buffer.from(few));
    insertSketch.run(T0, "*", Buffer.from(many));
    old.close();

    const { sqlite } = openDatabase(file);
    try {
      const stored = sqlite
        .prepare(`SELECT dedupe_key, length(dedupe_key) AS keyBytes, event_type, typeof(payload) AS type, length(payload) AS bytes, payload_codec FROM raw_events ORDER BY id`)
        .all() as Array<{ dedupe_key: Buffer }>;
      expect(stored.map(({ dedupe_key, ...row }) => ({ ...row, key: decodeDedupeKey(dedupe_key) }))).toEqual([
        // The failure says what its event was; the quarantined and the unread type keep theirs.
        { key: UUID_KEY, keyBytes: 17, event_type: "", type: "blob", bytes: expect.any(Number), payload_codec: PAYLOAD_CODEC_DEFLATE_V1_ID_CUT },
        { key: "old-2", keyBytes: 6, event_type: "deployment.failure", type: "blob", bytes: expect.any(Number), payload_codec: PAYLOAD_CODEC_DEFLATE_V1_ID_CUT },
        { key: "old-3", keyBytes: 6, event_type: "deployment.failure", type: "blob", bytes: expect.any(Number), payload_codec: PAYLOAD_CODEC_DEFLATE_V1 },
        { key: "old-4", keyBytes: 6, event_type: "conversation.closed", type: "blob", bytes: expect.any(Number), payload_codec: PAYLOAD_CODEC_DEFLATE_V1_ID_CUT },
      ]);
      const failure = runSteps(sqlite, getFailure(Number(failureId)));
      expect(failure).toMatchObject({
        eventId: UUID_KEY,
        eventType: "deployment.failure",
        sessionId: "ses_42",
        rawPayload: texts.failure,
        userSessionKeys: JSON.parse(SESSION_KEYS),
      });
      const sessionKeys = sqlite.prepare(`SELECT user_session_keys FROM failures`).pluck().get() as Buffer;
      expect(sessionKeys.length).toBeLessThan(SESSION_KEYS.length / 2);
      expect((sqlite.pragma("table_info(failures)") as Array<{ name: string }>).map((c) => c.name)).not.toContain("dedupe_key");
      expect((sqlite.pragma("table_info(failures)") as Array<{ name: string }>).map((c) => c.name)).not.toContain("session_id");
      expect(runSteps(sqlite, quarantined({ limit: 50 })).items.map((e) => [e.eventType, e.payload])).toEqual([
        ["deployment.failure", texts.escapedId],
        ["deployment.failure", texts.quarantined],
      ]);

      const sketches = sqlite.prepare(`SELECT reason, registers FROM contact_sketch_hour ORDER BY reason`).all() as Array<{ reason: string; registers: Buffer }>;
      expect(sketches.map((s) => [s.reason, s.registers.length < HLL_REGISTERS])).toEqual([
        ["*", false],
        ["INVALID_PHONE", true],
      ]);
      expect(decodeSketch(sketches[0]!.registers)).toEqual(many);
      expect(decodeSketch(sketches[1]!.registers)).toEqual(few);

      const indexes = sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'raw_events'`).pluck().all();
      expect(indexes).not.toContain("raw_events_received_at_idx");
      const columns = (sqlite.pragma("table_info(raw_events)") as Array<{ name: string }>).map((c) => c.name);
      expect(columns).not.toContain("event_id");
    } finally {
      sqlite.close();
    }
  });
});
