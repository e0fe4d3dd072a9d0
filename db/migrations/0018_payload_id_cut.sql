-- Payload codec 2 (lib/ingest/payload-codec.ts): stored payloads lose their event id, which the
-- dedupe key already holds and which deflate cannot shrink; faultline_cut_event_id
-- (db/storage-functions.ts) re-stores each codec-1 payload, or gives null when its id cannot be
-- cut (a content-hash key, an id spelled with escapes), and the row is left as it is.
UPDATE `raw_events` SET `payload` = faultline_cut_event_id(`payload`, `payload_codec`, `dedupe_key`), `payload_codec` = 2
WHERE `payload_codec` = 1 AND faultline_cut_event_id(`payload`, `payload_codec`, `dedupe_key`) IS NOT NULL;
