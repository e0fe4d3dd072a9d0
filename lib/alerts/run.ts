import { openBackgroundConnection } from "@/db/client";
import { AlertDispatcher } from "./dispatcher";
import { scheduleAlertEvaluation } from "./evaluate";

/**
 * Starts the alerts dispatcher and the timed-rule evaluator (server start) on their own
 * connection; returns the stopper, which closes it.
 */
export function startAlerts(): () => void {
  const sqlite = openBackgroundConnection();
  const dispatcher = new AlertDispatcher(sqlite);
  dispatcher.start();
  const stopEvaluation = scheduleAlertEvaluation(sqlite);
  return () => {
    stopEvaluation();
    dispatcher.stop();
    sqlite.close();
  };
}
