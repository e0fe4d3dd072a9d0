-- Edited after drizzle-kit generate: the rollup, sketch and incident_contacts tables are
-- WITHOUT ROWID (clustered on their composite key; nothing refers to their rowid).
CREATE TABLE `contact_sketch_day` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`registers` blob NOT NULL,
	PRIMARY KEY(`bucket`, `reason`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `contact_sketch_hour` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`registers` blob NOT NULL,
	PRIMARY KEY(`bucket`, `reason`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`raw_event_id` integer NOT NULL,
	`dedupe_key` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`reason` text NOT NULL,
	`reason_known` integer NOT NULL,
	`line` text DEFAULT '' NOT NULL,
	`template` text DEFAULT '' NOT NULL,
	`country_code` text,
	`cellphone` text,
	`phone_e164` text,
	`poll_id` text,
	`deployment_id` text,
	`batch_id` text,
	`session_id` text,
	`user_session_keys` text,
	`incident_id` integer NOT NULL,
	FOREIGN KEY (`raw_event_id`) REFERENCES `raw_events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `failures_raw_event_id_idx` ON `failures` (`raw_event_id`);--> statement-breakpoint
CREATE INDEX `failures_occurred_at_idx` ON `failures` (`occurred_at`);--> statement-breakpoint
CREATE INDEX `failures_reason_idx` ON `failures` (`reason`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `failures_line_idx` ON `failures` (`line`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `failures_template_idx` ON `failures` (`template`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `failures_phone_idx` ON `failures` (`phone_e164`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `failures_incident_idx` ON `failures` (`incident_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `incident_activity` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`incident_id` integer NOT NULL,
	`at` integer NOT NULL,
	`actor` text,
	`action` text NOT NULL,
	`note` text,
	`failure_id` integer,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `incident_activity_incident_idx` ON `incident_activity` (`incident_id`,`at`);--> statement-breakpoint
CREATE TABLE `incident_contacts` (
	`incident_id` integer NOT NULL,
	`contact` text NOT NULL,
	PRIMARY KEY(`incident_id`, `contact`),
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`reason` text NOT NULL,
	`line_key` text NOT NULL,
	`template_key` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`regressed` integer DEFAULT false NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`contacts` integer DEFAULT 0 NOT NULL,
	`new_since_ack` integer DEFAULT 0 NOT NULL,
	`acknowledged_at` integer,
	`acknowledged_by` text,
	`resolved_at` integer,
	`resolved_by` text,
	`note` text,
	`reopened_count` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `incidents_key_idx` ON `incidents` (`reason`,`line_key`,`template_key`);--> statement-breakpoint
CREATE INDEX `incidents_status_idx` ON `incidents` (`status`,`last_seen`);--> statement-breakpoint
CREATE INDEX `incidents_last_seen_idx` ON `incidents` (`last_seen`);--> statement-breakpoint
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
CREATE TABLE `rollup_day` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`line` text NOT NULL,
	`template` text NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`bucket`, `reason`, `line`, `template`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `rollup_day_line` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`line` text NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`bucket`, `reason`, `line`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `rollup_day_template` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`template` text NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`bucket`, `reason`, `template`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `rollup_hour_line` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`line` text NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`bucket`, `reason`, `line`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `rollup_hour_reason` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`bucket`, `reason`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `rollup_hour_template` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`template` text NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`bucket`, `reason`, `template`)
) WITHOUT ROWID;
--> statement-breakpoint
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