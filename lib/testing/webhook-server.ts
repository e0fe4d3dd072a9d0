import http from "node:http";
import type { AddressInfo } from "node:net";
import { isWebhookRequest, serveWebhook } from "@/lib/server/webhook-listener";

export interface WebhookTestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** The production custom server's webhook routing, on a real node:http server on loopback. */
export async function startWebhookServer(): Promise<WebhookTestServer> {
  const server = http.createServer((req, res) => {
    if (isWebhookRequest(req)) void serveWebhook(req, res);
    else res.writeHead(404, { "Content-Type": "text/plain" }).end("not the webhook");
  });
  // Idle connections stay open until close(): a test busy for longer than Node's 5 s default would
  // otherwise race the server's close of the connection its next request reuses (ECONNRESET).
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
