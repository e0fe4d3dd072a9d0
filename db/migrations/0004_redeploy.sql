CREATE TABLE `redeploy_batches` (
	`plan_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`poll_id` text NOT NULL,
	`size` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`http_status` integer,
	`treble_id` text,
	`treble_batch_id` text,
	`conversation_ids` text,
	`skipped` integer DEFAULT 0 NOT NULL,
	`message` text,
	PRIMARY KEY(`plan_id`, `seq`),
	FOREIGN KEY (`plan_id`) REFERENCES `redeploy_plans`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `redeploy_batches_status_idx` ON `redeploy_batches` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `redeploy_contacts` (
	`plan_id` integer NOT NULL,
	`contact` text NOT NULL,
	`failure_id` integer NOT NULL,
	`reason` text NOT NULL,
	`poll_id` text,
	`country_code` text NOT NULL,
	`cellphone` text NOT NULL,
	`line` text NOT NULL,
	`session_keys` text NOT NULL,
	`eta` integer,
	`batch_seq` integer,
	`sent_at` integer,
	PRIMARY KEY(`plan_id`, `contact`),
	FOREIGN KEY (`plan_id`) REFERENCES `redeploy_plans`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `redeploy_contacts_contact_idx` ON `redeploy_contacts` (`contact`,`sent_at`);--> statement-breakpoint
CREATE TABLE `redeploy_follow_ups` (
	`failure_id` integer PRIMARY KEY NOT NULL,
	`plan_id` integer NOT NULL,
	`contact` text NOT NULL,
	`reason` text NOT NULL,
	`occurred_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `redeploy_follow_ups_plan_idx` ON `redeploy_follow_ups` (`plan_id`,`reason`);--> statement-breakpoint
CREATE TABLE `redeploy_plans` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`source` text NOT NULL,
	`include` text NOT NULL,
	`send_at` text NOT NULL,
	`line` text,
	`contacts` integer NOT NULL,
	`without_poll` integer NOT NULL,
	`excluded_do_not_contact` integer NOT NULL,
	`excluded_already_retried` integer NOT NULL,
	`excluded_no_phone` integer NOT NULL,
	`summary` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text,
	`sent_at` integer,
	`sent_by` text,
	`finished_at` integer,
	`error` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `redeploy_plans_status_idx` ON `redeploy_plans` (`status`);--> statement-breakpoint
CREATE TABLE `redeploy_retried` (
	`contact` text NOT NULL,
	`poll_id` text NOT NULL,
	`reason` text NOT NULL,
	`plan_id` integer NOT NULL,
	PRIMARY KEY(`contact`, `poll_id`, `reason`)
);
