/** The field mapping's keys and limits, apart from its storage so the settings form can use them. */
export const FIELD_MAPPING_KEYS = ["reason", "line", "template", "contact", "countryCode", "timestamp", "eventId"] as const;
export type FieldMappingKey = (typeof FIELD_MAPPING_KEYS)[number];
export type FieldMapping = Record<FieldMappingKey, string[]>;

export const MAX_PATHS_PER_FIELD = 20;
export const MAX_PATH_LENGTH = 200;

/** What each key maps, and the built-in names tried after the mapped paths. */
export const FIELD_MAPPING_HELP: Record<FieldMappingKey, { label: string; builtIn: string }> = {
  reason: { label: "Failure reason", builtIn: "failure_reason, reason, failure_type, error_code" },
  line: { label: "Line (sending number)", builtIn: "line, company.cellphone, sender, deployment_squad session key" },
  template: { label: "Template", builtIn: "hsm.name, hsm_name, template, template_name (hsm.status: name first)" },
  contact: { label: "Contact cellphone", builtIn: "user.cellphone, cellphone" },
  countryCode: { label: "Contact country code", builtIn: "user.country_code, country_code" },
  timestamp: { label: "Event time", builtIn: "timestamp" },
  eventId: { label: "Event id (dedupe key)", builtIn: "event_id" },
};
