/**
 * The re-deployment worker alone in its own process (as the server runs it), for the test that
 * kills it with SIGKILL mid-plan and starts it again (lib/redeploy/restart.test.ts). Settings come
 * from the environment, like the server's; an optional argument is the plan lease in ms (on
 * PostgreSQL the restarted process is a new instance, which waits for the killed one's lease).
 */
import { startRedeployWorker } from "@/lib/redeploy/worker";

const leaseMs = process.argv[2] ? Number(process.argv[2]) : undefined;
startRedeployWorker({ pollMs: 50, leaseMs });
process.stdout.write("worker started\n");
// Stay alive: the worker's timers are unref'd so they never hold a server open on shutdown.
setInterval(() => {}, 60_000);
