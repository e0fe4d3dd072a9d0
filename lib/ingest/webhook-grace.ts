/** Grace periods offered when rotating the webhook secret: how long the old one keeps working (hours). */
export const WEBHOOK_GRACE_HOURS = [0, 1, 24, 168] as const;
