import { checkHealth } from "@/lib/health";

export const dynamic = "force-dynamic";

export function GET(): Response {
  const health = checkHealth();
  return Response.json(health, { status: health.ok ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
