-- Edited after drizzle-kit generate: the partial index names its column unqualified.
CREATE TABLE `closed_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`raw_event_id` integer NOT NULL,
	`external_id` text,
	`closed_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`line` text DEFAULT '' NOT NULL,
	`template` text DEFAULT '' NOT NULL,
	`country_code` text,
	`cellphone` text,
	`phone_e164` text,
	`message_count` integer,
	FOREIGN KEY (`raw_event_id`) REFERENCES `raw_events`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `closed_sessions_closed_at_idx` ON `closed_sessions` (`closed_at`);--> statement-breakpoint
CREATE INDEX `closed_sessions_line_idx` ON `closed_sessions` (`line`,`closed_at`);--> statement-breakpoint
CREATE INDEX `closed_sessions_template_idx` ON `closed_sessions` (`template`,`closed_at`);--> statement-breakpoint
CREATE INDEX `closed_sessions_raw_event_idx` ON `closed_sessions` (`raw_event_id`);--> statement-breakpoint
ALTER TABLE `raw_events` ADD `sent_occurred_at` integer;--> statement-breakpoint
ALTER TABLE `raw_events` ADD `problems` text;--> statement-breakpoint
CREATE INDEX `raw_events_quarantined_idx` ON `raw_events` (`id`) WHERE `problems` IS NOT NULL;--> statement-breakpoint
ALTER TABLE `template_status_events` ADD `affected_conversation_ids` text;