/** Password length rules, shared by the settings schema, the user verbs and better-auth. */
export const MIN_PASSWORD_LENGTH = 10;
/** better-auth's own ceiling: longer inputs would only make hashing slower. */
export const MAX_PASSWORD_LENGTH = 128;
