-- Edited after drizzle-kit generate: dedupe keys and session keys take the compact tagged forms of
-- lib/ingest/compact-values.ts through faultline_encode_dedupe_key / faultline_encode_session_keys
-- (db/storage-functions.ts, registered before migrating). failures.dedupe_key and
-- failures.received_at repeated their raw event's. Rows already in the compact form (BLOBs) are
-- left as they are.
ALTER TABLE `failures` DROP COLUMN `dedupe_key`;--> statement-breakpoint
ALTER TABLE `failures` DROP COLUMN `received_at`;--> statement-breakpoint
UPDATE `raw_events` SET `dedupe_key` = faultline_encode_dedupe_key(`dedupe_key`) WHERE typeof(`dedupe_key`) = 'text';--> statement-breakpoint
UPDATE `failures` SET `user_session_keys` = faultline_encode_session_keys(`user_session_keys`) WHERE typeof(`user_session_keys`) = 'text';
