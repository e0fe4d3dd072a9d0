/** Roles, shared by the schema, the access rules and the UI (no server code here). */
export const ROLES = ["admin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Each role can do everything the roles after it can (admin ⊃ operator ⊃ viewer). */
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Admin — everything, plus users, API tokens and the webhook secret",
  operator: "Operator — read, act on incidents (acknowledge, resolve, snooze, ignore, assign, comment) and export",
  viewer: "Viewer — read only",
};
