CREATE INDEX `failures_raw_event_idx` ON `failures` (`raw_event_id`);--> statement-breakpoint
CREATE INDEX `raw_events_occurred_at_idx` ON `raw_events` (`occurred_at`);--> statement-breakpoint
CREATE INDEX `template_status_events_raw_event_idx` ON `template_status_events` (`raw_event_id`);