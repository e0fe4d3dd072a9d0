/** Statuses under which Meta will not send a template (they explain FAILURE_BY_DISABLED_HSM spikes). */
export const UNAVAILABLE_TEMPLATE_STATUSES = ["PAUSED", "DISABLED", "REJECTED"] as const;
export type UnavailableTemplateStatus = (typeof UNAVAILABLE_TEMPLATE_STATUSES)[number];

export const isUnavailableTemplateStatus = (status: string): status is UnavailableTemplateStatus =>
  (UNAVAILABLE_TEMPLATE_STATUSES as readonly string[]).includes(status);
