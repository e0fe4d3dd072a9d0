import { cookies } from "next/headers";
import { TZ_COOKIE } from "@/lib/filters";
import { isValidTimeZone } from "@/lib/time/zoned";

/** Times on settings pages are shown in the browser's zone the dashboard remembered, else UTC. */
export async function settingsTimeZone(): Promise<string> {
  const cookieTz = (await cookies()).get(TZ_COOKIE)?.value;
  return cookieTz && isValidTimeZone(cookieTz) ? cookieTz : "UTC";
}
