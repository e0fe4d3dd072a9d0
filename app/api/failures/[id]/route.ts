import { InvalidInputError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, async (_request, user, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  if (!/^\d{1,15}$/.test(id)) throw new InvalidInputError("id must be a positive integer", [{ path: "id", message: "must be a positive integer" }], "invalid_parameter");
  return runRead("failure", { id: Number(id) }, { user: user.id });
});
