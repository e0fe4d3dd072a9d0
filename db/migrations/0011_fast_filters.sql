CREATE TABLE `contact_phones` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`phone_e164` text NOT NULL,
	`cellphone` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contact_phones_pair_idx` ON `contact_phones` (`phone_e164`,`cellphone`);--> statement-breakpoint
CREATE TABLE `rollup_quarter_reason` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`bucket`, `reason`)
);
--> statement-breakpoint
CREATE INDEX `failures_cellphone_idx` ON `failures` (`cellphone`,`occurred_at`) WHERE "failures"."phone_e164" IS NULL;--> statement-breakpoint
CREATE VIRTUAL TABLE `contact_phones_fts` USING fts5(`phone_e164`, `cellphone`, content='contact_phones', content_rowid='id', tokenize='trigram', detail='none');--> statement-breakpoint
INSERT INTO `contact_phones` (`phone_e164`, `cellphone`)
  SELECT DISTINCT coalesce(`phone_e164`, ''), coalesce(`cellphone`, '') FROM `failures` WHERE `phone_e164` IS NOT NULL OR `cellphone` IS NOT NULL;--> statement-breakpoint
INSERT INTO `contact_phones_fts` (`rowid`, `phone_e164`, `cellphone`) SELECT `id`, `phone_e164`, `cellphone` FROM `contact_phones`;--> statement-breakpoint
INSERT INTO `rollup_quarter_reason` (`bucket`, `reason`, `failures`)
  SELECT (`occurred_at` / 900000) * 900000, `reason`, count(*) FROM `failures` GROUP BY 1, 2;
