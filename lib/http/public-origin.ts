import { getSettings } from "@/lib/config";

/**
 * The address people reach Faultline at: PUBLIC_URL when set, else what this request was sent to
 * (its Host; the scheme from X-Forwarded-Proto only behind a trusted proxy).
 */
export function publicOrigin(headers: Headers): string {
  const settings = getSettings();
  if (settings.PUBLIC_URL) return settings.PUBLIC_URL.replace(/\/$/, "");
  const forwardedProto = settings.TRUST_PROXY ? headers.get("x-forwarded-proto") : null;
  const proto = forwardedProto === "https" ? "https" : "http";
  return `${proto}://${headers.get("host") ?? `localhost:${settings.PORT}`}`;
}
