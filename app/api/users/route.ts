import { clientIp } from "@/lib/auth/client-ip";
import { createUser, listUsers } from "@/lib/auth/users";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "admin" }, async () => ({ items: await listUsers() }));

export const POST = jsonRoute({ role: "admin" }, async (request, user) =>
  createUser(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
