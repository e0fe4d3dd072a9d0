-- Edited after drizzle-kit generate: the compact tagged forms of lib/ingest/compact-values.ts,
-- computed in SQL (tag 1: a lower-case UUID's 16 bytes; tag 2: a sha256 key's 32 bytes; tag 0:
-- UTF-8 text as is — session keys copied earlier stay text-tagged and read back the same).
-- failures.dedupe_key and failures.received_at repeated their raw event's.
ALTER TABLE "failures" ALTER COLUMN "user_session_keys" SET DATA TYPE bytea USING '\x00'::bytea || convert_to("user_session_keys", 'UTF8');--> statement-breakpoint
ALTER TABLE "raw_events" ALTER COLUMN "dedupe_key" SET DATA TYPE bytea USING CASE
  WHEN "dedupe_key" ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN '\x01'::bytea || decode(replace("dedupe_key", '-', ''), 'hex')
  WHEN "dedupe_key" ~ '^sha256:[0-9a-f]{64}$' THEN '\x02'::bytea || decode(substr("dedupe_key", 8), 'hex')
  ELSE '\x00'::bytea || convert_to("dedupe_key", 'UTF8')
END;--> statement-breakpoint
ALTER TABLE "failures" DROP COLUMN "dedupe_key";--> statement-breakpoint
ALTER TABLE "failures" DROP COLUMN "received_at";
