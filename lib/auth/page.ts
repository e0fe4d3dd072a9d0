import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { cache } from "react";
import { loginPath, PATH_HEADER } from "./navigation";
import { hasRole, type Role } from "./roles";
import { getSessionUser, type AuthUser } from "./session";

/** The signed-in user of the page being rendered (looked up once per request). */
export const currentUser = cache(async (): Promise<AuthUser | null> => getSessionUser(await headers()));

/**
 * For every signed-in page (and its layout): the user, or a redirect to /login that comes back
 * here afterwards. A role below `minimumRole` gets a 404, as if the page did not exist. Each page
 * checks for itself because layouts are not re-rendered on client-side navigation.
 */
export async function requirePageUser(minimumRole: Role = "viewer"): Promise<AuthUser> {
  const user = await currentUser();
  if (!user) redirect(loginPath((await headers()).get(PATH_HEADER)));
  if (!hasRole(user.role, minimumRole)) notFound();
  return user;
}
