/**
 * The re-deployment worker alone in its own process (as the server runs it), for the test that
 * kills it with SIGKILL mid-plan and starts it again (lib/redeploy/restart.test.ts). Settings come
 * from the environment, like the server's.
 */
import { startRedeployWorker } from "@/lib/redeploy/worker";

startRedeployWorker({ pollMs: 50 });
process.stdout.write("worker started\n");
// Stay alive: the worker's timers are unref'd so they never hold a server open on shutdown.
setInterval(() => {}, 60_000);
