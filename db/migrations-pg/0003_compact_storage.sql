DROP INDEX "raw_events_received_at_idx";--> statement-breakpoint
ALTER TABLE "raw_events" DROP COLUMN "event_id";--> statement-breakpoint
ALTER TABLE "raw_events" ALTER COLUMN "payload" SET DATA TYPE bytea USING convert_to("payload", 'UTF8');--> statement-breakpoint
ALTER TABLE "raw_events" ADD COLUMN "payload_codec" integer DEFAULT 0 NOT NULL;
