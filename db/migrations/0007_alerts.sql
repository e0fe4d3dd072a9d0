CREATE TABLE `alert_channels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`url` text,
	`recipients` text,
	`secret` text,
	`enabled` integer DEFAULT true NOT NULL,
	`disabled_reason` text,
	`last_success_at` integer,
	`last_error_at` integer,
	`last_error` text,
	`failing_since` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alert_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`rule_id` integer,
	`channel_id` integer NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`first_attempt_at` integer,
	`last_error` text,
	`group_id` text,
	`created_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE INDEX `alert_deliveries_due_idx` ON `alert_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `alert_deliveries_channel_idx` ON `alert_deliveries` (`channel_id`,`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `alert_deliveries_created_idx` ON `alert_deliveries` (`created_at`);--> statement-breakpoint
CREATE TABLE `alert_rule_state` (
	`rule_id` integer NOT NULL,
	`scope` text NOT NULL,
	`last_notified_at` integer NOT NULL,
	PRIMARY KEY(`rule_id`, `scope`)
);
--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`trigger` text NOT NULL,
	`definition` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
