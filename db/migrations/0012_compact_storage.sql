-- Edited after drizzle-kit generate: stored payloads are deflated with the v1 dictionary by
-- faultline_encode_payload (lib/ingest/payload-codec.ts, registered by db/client.ts before migrating).
-- raw_events_received_at_idx: nothing reads raw events by receipt time (the quarantine pages by id).
DROP INDEX `raw_events_received_at_idx`;--> statement-breakpoint
ALTER TABLE `raw_events` ADD `payload_codec` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `raw_events` SET `payload` = faultline_encode_payload(`payload`), `payload_codec` = 1 WHERE `payload_codec` = 0;
