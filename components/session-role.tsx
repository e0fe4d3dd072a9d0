"use client";

import { createContext, useContext } from "react";
import { hasRole, type Role } from "@/lib/auth/roles";

/**
 * The signed-in user's role, for client components deep in the tree (e.g. the failures table on
 * every page that shows one) to hide what the API would refuse anyway. Not a security boundary:
 * every route checks the role itself.
 */
const RoleContext = createContext<Role>("viewer");

export function RoleProvider({ role, children }: { role: Role; children: React.ReactNode }) {
  return <RoleContext.Provider value={role}>{children}</RoleContext.Provider>;
}

export function useHasRole(minimum: Role): boolean {
  return hasRole(useContext(RoleContext), minimum);
}
