import { z } from "zod";
import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";
import { parseInput } from "@/lib/validate";

export const dynamic = "force-dynamic";

const templateParam = z.object({ template: z.string().max(512, "must be at most 512 characters") });

export const GET = jsonRoute({ role: "viewer" }, async (_request, user, { params }: { params: Promise<{ template: string }> }) => {
  const { template } = parseInput(templateParam, { template: decodeURIComponent((await params).template) });
  return { items: await runRead("templateStatusHistory", { template }, { user: user.id }) };
});
