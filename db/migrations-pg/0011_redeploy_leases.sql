ALTER TABLE "redeploy_plans" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "redeploy_plans" ADD COLUMN "lease_until" bigint;