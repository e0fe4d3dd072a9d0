import { InvalidInputError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, async (_request, user, { params }: { params: Promise<{ template: string }> }) => {
  const { template } = await params;
  const name = decodeURIComponent(template);
  if (name.length > 512) throw new InvalidInputError("template is longer than 512 characters", [{ path: "template", message: "too long" }], "invalid_parameter");
  return { items: await runRead("templateStatusHistory", { template: name }, { user: user.id }) };
});
