DROP INDEX `failures_phone_idx`;--> statement-breakpoint
DROP INDEX `failures_cellphone_idx`;--> statement-breakpoint
CREATE INDEX `failures_phone_idx` ON `failures` (`phone_e164`,`occurred_at`,`incident_id`);--> statement-breakpoint
CREATE INDEX `failures_cellphone_idx` ON `failures` (`cellphone`,`occurred_at`,`incident_id`) WHERE "failures"."phone_e164" IS NULL;