/** Size limits of the webhook endpoint; documented in the README's payload reference. */
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_BATCH_EVENTS = 1000;

/** Longest accepted value of each normalised string field, in characters. */
export const FIELD_MAX_LENGTH = {
  event_id: 200,
  event_type: 64,
  reason: 100,
  line: 64,
  template: 512,
  status: 64,
  country_code: 8,
  cellphone: 32,
  campaign_id: 128,
  /** The JSON text of user_session_keys. */
  user_session_keys: 16_384,
} as const;

/** An event time further than this after its receipt is sender clock skew: the receipt time is used. */
export const MAX_CLOCK_SKEW_MS = 10 * 60_000;
