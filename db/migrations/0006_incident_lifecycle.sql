CREATE TABLE `incident_hours` (
	`incident_id` integer NOT NULL,
	`bucket` integer NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`incident_id`, `bucket`),
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `incident_hours_bucket_idx` ON `incident_hours` (`bucket`);--> statement-breakpoint
ALTER TABLE `incidents` ADD `snooze_until` integer;--> statement-breakpoint
ALTER TABLE `incidents` ADD `snooze_failures_left` integer;--> statement-breakpoint
ALTER TABLE `incidents` ADD `snooze_until_escalating` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `incidents` ADD `assignee_id` text REFERENCES users(id);--> statement-breakpoint
ALTER TABLE `incidents` ADD `escalating` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `incidents` ADD `escalating_since` integer;--> statement-breakpoint
ALTER TABLE `incidents` ADD `escalating_hour` integer;--> statement-breakpoint
ALTER TABLE `incidents` ADD `hour_bucket` integer;--> statement-breakpoint
ALTER TABLE `incidents` ADD `hour_failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `incidents` ADD `hour_threshold` real;--> statement-breakpoint
CREATE INDEX `incidents_snooze_until_idx` ON `incidents` (`status`,`snooze_until`);--> statement-breakpoint
CREATE INDEX `incidents_assignee_idx` ON `incidents` (`assignee_id`,`last_seen`);--> statement-breakpoint
-- Escalation needs the last 7 days of hourly counts: rebuild them from the stored failures.
INSERT INTO `incident_hours` (`incident_id`, `bucket`, `failures`)
  SELECT `incident_id`, `occurred_at` - (`occurred_at` % 3600000), count(*) FROM `failures`
  WHERE `occurred_at` >= (cast(unixepoch('subsecond') * 1000 as integer) - 8 * 86400000)
  GROUP BY 1, 2;
