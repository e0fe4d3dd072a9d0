ALTER TABLE `redeploy_plans` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `redeploy_plans` ADD `lease_until` integer;