import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, async (_request, user, { params }: { params: Promise<{ id: string }> }) =>
  runRead("incident", { id: (await params).id }, { user: user.id }),
);
