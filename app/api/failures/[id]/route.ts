import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";
import { parseId } from "@/lib/validate";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, async (_request, user, { params }: { params: Promise<{ id: string }> }) =>
  runRead("failure", { id: parseId((await params).id) }, { user: user.id }),
);
