import type { NextConfig } from "next";
import createNextIntlPlugin from "next-intl/plugin";
import { securityHeaders } from "./lib/http/security-headers";

const withNextIntl = createNextIntlPlugin("./i18n/request.ts");

const nextConfig: NextConfig = {
  // better-sqlite3 is a native addon: load it from node_modules at run time, never bundle it.
  serverExternalPackages: ["better-sqlite3"],
  poweredByHeader: false,
  // forbidden() answers 403 (app/forbidden.tsx), e.g. /setup without its one-time code.
  experimental: { authInterrupts: true },
  async headers() {
    const headers = Object.entries(securityHeaders(process.env.NODE_ENV === "development")).map(([key, value]) => ({ key, value }));
    return [{ source: "/:path*", headers }];
  },
};

export default withNextIntl(nextConfig);
