/**
 * Security headers for every response: pages and API routes (next.config.ts) and the webhook
 * answers the custom server sends itself (lib/server/node-http.ts).
 *
 * Without per-request nonces Next's inline bootstrap scripts and the charts' inline styles need
 * 'unsafe-inline'; everything else is limited to this origin. `upgrade-insecure-requests` is
 * left out on purpose: Faultline may be served over plain http on a private network.
 */
export function contentSecurityPolicy(dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function securityHeaders(dev = false): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(dev),
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
    // For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
  };
}
