import { openBackgroundConnection } from "@/db/client";
import type { Leadership } from "@/lib/ops/leader";
import { AlertDispatcher } from "./dispatcher";
import { scheduleAlertEvaluation } from "./evaluate";

/**
 * Starts the alerts dispatcher and the timed-rule evaluator (server start; the evaluator runs
 * only while `leader` leads) on their own connection; returns the stopper, which closes it.
 */
export function startAlerts(leader: Leadership): () => void {
  const sqlite = openBackgroundConnection();
  const dispatcher = new AlertDispatcher(sqlite);
  dispatcher.start();
  const stopEvaluation = scheduleAlertEvaluation(sqlite, leader);
  return () => {
    stopEvaluation();
    dispatcher.stop();
    sqlite.close();
  };
}
