-- Custom migration: as db/migrations/0028_not_failure_index.sql. Raw events keep their type unless
-- they became a failure, so retention finds a failure's raw event through failures_occurred_at_idx
-- and every other one through a partial index instead of a time index over every raw event.
UPDATE "raw_events" SET "event_type" = 'hsm.status'
  WHERE "event_type" = '' AND "problems" IS NULL AND "id" IN (SELECT "raw_event_id" FROM "template_status_events");--> statement-breakpoint
UPDATE "raw_events" SET "event_type" = 'session.close'
  WHERE "event_type" = '' AND "problems" IS NULL AND "id" IN (SELECT "raw_event_id" FROM "closed_sessions");--> statement-breakpoint
DROP INDEX "raw_events_occurred_at_idx";--> statement-breakpoint
CREATE INDEX "raw_events_not_failure_occurred_at_idx" ON "raw_events" USING btree ("occurred_at") WHERE "raw_events"."event_type" <> '' OR "raw_events"."problems" IS NOT NULL;
