import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import type { Role } from "@/lib/auth/roles";
import { createApiToken } from "@/lib/auth/tokens";
import { createUser, type UserSummary } from "@/lib/auth/users";

export const TEST_PASSWORD = "test-password-0123";

export interface TestUser {
  user: UserSummary;
  /** A real API token of the user, created through lib/auth. */
  token: string;
  /** `Authorization: Bearer <token>`, to spread into a Request's headers. */
  headers: Record<string, string>;
}

let counter = 0;

/** A user with `role` (password TEST_PASSWORD) and an API token acting as them. */
export async function createTestUser(role: Role, email = `${role}-${process.pid}-${++counter}@test.example`): Promise<TestUser> {
  const user = await createUser({ email, password: TEST_PASSWORD, role }, { actor: SYSTEM_ACTOR, ip: null });
  const { token } = await createApiToken({ userId: user.id, name: "test" }, { actor: SYSTEM_ACTOR, ip: null });
  return { user, token, headers: { authorization: `Bearer ${token}` } };
}

/** The Cookie header of a fresh browser session for `email`, signed in through better-auth's HTTP endpoint. */
export async function signInCookie(
  post: (request: Request) => Promise<Response>,
  email: string,
  password = TEST_PASSWORD,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await post(
    new Request("http://localhost:3000/api/auth/sign-in/email", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ email, password }),
    }),
  );
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  return response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .join("; ");
}
