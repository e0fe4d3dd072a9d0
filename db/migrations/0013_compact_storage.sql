-- Edited after drizzle-kit generate (two generations merged into one migration): stored payloads are
-- deflated with the v1 dictionary by faultline_encode_payload, and small contact sketches stored
-- sparse by faultline_encode_sketch (db/storage-functions.ts, registered by db/client.ts before
-- migrating). raw_events_received_at_idx: nothing reads raw events by receipt time (the quarantine
-- pages by id). raw_events.event_id repeated dedupe_key (and the payload keeps it as sent).
DROP INDEX `raw_events_received_at_idx`;--> statement-breakpoint
ALTER TABLE `raw_events` ADD `payload_codec` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `raw_events` DROP COLUMN `event_id`;--> statement-breakpoint
UPDATE `raw_events` SET `payload` = faultline_encode_payload(`payload`), `payload_codec` = 1 WHERE `payload_codec` = 0;--> statement-breakpoint
UPDATE `contact_sketch_hour` SET `registers` = faultline_encode_sketch(`registers`) WHERE length(`registers`) = 1024;--> statement-breakpoint
UPDATE `contact_sketch_day` SET `registers` = faultline_encode_sketch(`registers`) WHERE length(`registers`) = 1024;
