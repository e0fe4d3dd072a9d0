ALTER TABLE `alert_channels` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `alert_channels` ADD `lease_until` integer;--> statement-breakpoint
ALTER TABLE `alert_deliveries` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `alert_deliveries` ADD `lease_until` integer;