import { checkHealth } from "@/lib/health";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export function GET(): Response {
  const health = checkHealth();
  return json(health, health.ok ? 200 : 503);
}
