/** Roles, shared by the schema, the access rules and the UI (no server code here). */
export const ROLES = ["admin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Each role can do everything the roles after it can (admin ⊃ operator ⊃ viewer). */
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

