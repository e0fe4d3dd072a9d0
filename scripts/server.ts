// Entry point of the production server, bundled to dist/server.mjs by `npm run build`.
import { startServer } from "@/lib/server/start-server";

startServer().catch((err) => {
  console.error("Faultline failed to start:", err);
  process.exit(1);
});
