/**
 * The client's address, as the custom server saw it. The server overwrites this header on every
 * request it hands to Next (a client cannot choose it); under `next dev` it is absent.
 */
export const CLIENT_IP_HEADER = "x-faultline-client-ip";

/** The address recorded by the custom server, or null when unknown. */
export function clientIp(headers: Headers): string | null {
  return headers.get(CLIENT_IP_HEADER) || null;
}

/**
 * Which address to trust: the socket's, or (behind a reverse proxy) the last X-Forwarded-For
 * entry, the one our own proxy appended; earlier entries are whatever the client claimed.
 */
export function resolveClientIp(remoteAddress: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string | undefined {
  if (trustProxy && forwardedFor) {
    const last = forwardedFor.split(",").pop()?.trim();
    if (last) return last;
  }
  return remoteAddress?.replace(/^::ffff:/, "");
}
