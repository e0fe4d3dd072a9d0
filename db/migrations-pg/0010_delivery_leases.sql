ALTER TABLE "alert_channels" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "alert_channels" ADD COLUMN "lease_until" bigint;--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD COLUMN "lease_until" bigint;