import { checkHealth } from "@/lib/health";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const health = await checkHealth();
  return json(health, health.ok ? 200 : 503);
}
