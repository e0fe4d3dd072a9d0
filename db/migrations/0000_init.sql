CREATE TABLE `failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`raw_event_id` integer NOT NULL,
	`dedupe_key` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`reason` text NOT NULL,
	`reason_known` integer NOT NULL,
	`line` text,
	`template` text,
	`country_code` text,
	`cellphone` text,
	`phone_e164` text,
	`poll_id` text,
	`deployment_id` text,
	`batch_id` text,
	`session_id` text,
	`user_session_keys` text,
	FOREIGN KEY (`raw_event_id`) REFERENCES `raw_events`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `failures_raw_event_id_idx` ON `failures` (`raw_event_id`);--> statement-breakpoint
CREATE INDEX `failures_occurred_at_idx` ON `failures` (`occurred_at`);--> statement-breakpoint
CREATE TABLE `raw_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dedupe_key` text NOT NULL,
	`event_id` text,
	`event_type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`occurred_at_from_receipt` integer DEFAULT false NOT NULL,
	`received_at` integer NOT NULL,
	`payload` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `raw_events_dedupe_key_idx` ON `raw_events` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `raw_events_received_at_idx` ON `raw_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `template_status_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`raw_event_id` integer NOT NULL,
	`template` text NOT NULL,
	`status` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`raw_event_id`) REFERENCES `raw_events`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `template_status_events_template_idx` ON `template_status_events` (`template`,`occurred_at`);