/** The field mapping's keys and limits, apart from its storage so the settings form can use them. */
export const FIELD_MAPPING_KEYS = ["reason", "line", "template", "contact", "countryCode", "timestamp", "eventId"] as const;
export type FieldMappingKey = (typeof FIELD_MAPPING_KEYS)[number];
export type FieldMapping = Record<FieldMappingKey, string[]>;

export const MAX_PATHS_PER_FIELD = 20;
export const MAX_PATH_LENGTH = 200;

/** The built-in names tried after the mapped paths (each key's label is in the message catalogues). */
export const FIELD_MAPPING_HELP: Record<FieldMappingKey, { builtIn: string }> = {
  reason: { builtIn: "failure_reason, reason, failure_type, error_code" },
  line: { builtIn: "line, company.cellphone, sender, deployment_squad session key" },
  template: { builtIn: "hsm.name, hsm_name, template, template_name (hsm.status: name first)" },
  contact: { builtIn: "user.cellphone, cellphone" },
  countryCode: { builtIn: "user.country_code, country_code" },
  timestamp: { builtIn: "timestamp" },
  eventId: { builtIn: "event_id" },
};
