import type Database from "better-sqlite3";
import { AlertDispatcher } from "./dispatcher";
import { scheduleAlertEvaluation } from "./evaluate";

/** Starts the alerts dispatcher and the timed-rule evaluator (server start); returns the stopper. */
export function startAlerts(sqlite: Database.Database): () => void {
  const dispatcher = new AlertDispatcher(sqlite);
  dispatcher.start();
  const stopEvaluation = scheduleAlertEvaluation(sqlite);
  return () => {
    stopEvaluation();
    dispatcher.stop();
  };
}
