import { getAuth } from "./auth";
import type { Role } from "./roles";

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** How the request proved who it is. */
  via: "session" | "token";
}

/** The signed-in user of a browser session cookie; null when there is none or the user is disabled. */
export async function getSessionUser(headers: Headers): Promise<AuthUser | null> {
  const session = await (await getAuth()).api.getSession({ headers });
  if (!session || session.user.disabled) return null;
  const { id, email, name, role } = session.user;
  return { id, email, name, role: role as Role, via: "session" };
}
