-- Custom migration: raw events keep their type unless they became a failure (lib/ingest/store.ts:
-- storedEventType), so retention finds a failure's raw event through failures_occurred_at_idx and
-- every other one through a partial index, instead of a time index over every raw event (17 B a
-- failure at 10M). The template statuses' and closed sessions' raw events get their type back.
UPDATE `raw_events` SET `event_type` = 'hsm.status'
  WHERE `event_type` = '' AND `problems` IS NULL AND `id` IN (SELECT `raw_event_id` FROM `template_status_events`);--> statement-breakpoint
UPDATE `raw_events` SET `event_type` = 'session.close'
  WHERE `event_type` = '' AND `problems` IS NULL AND `id` IN (SELECT `raw_event_id` FROM `closed_sessions`);--> statement-breakpoint
DROP INDEX `raw_events_occurred_at_idx`;--> statement-breakpoint
CREATE INDEX `raw_events_not_failure_occurred_at_idx` ON `raw_events` (`occurred_at`) WHERE `event_type` <> '' OR `problems` IS NOT NULL;
