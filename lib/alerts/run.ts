import { getEngine, openBackgroundConnection } from "@/db/client";
import { SqliteEngine } from "@/db/sqlite/engine";
import type { Leadership } from "@/lib/ops/leader";
import { AlertDispatcher } from "./dispatcher";
import { scheduleAlertEvaluation } from "./evaluate";

/**
 * Starts the alerts dispatcher and the timed-rule evaluator (server start; the evaluator runs only
 * while `leader` leads); returns the stopper. On SQLite both work on their own connection, closed
 * by the stopper: their many small commits skip the fsync there (openBackgroundConnection says why
 * that is safe). On PostgreSQL both work through the pool like every instance's.
 */
export function startAlerts(leader: Leadership): () => void {
  const shared = getEngine();
  // On PostgreSQL the SQLite file is never opened.
  const background = shared.dialect.name === "sqlite" ? openBackgroundConnection() : undefined;
  const engine = background ? new SqliteEngine(background) : shared;
  const dispatcher = new AlertDispatcher(engine);
  dispatcher.start();
  const stopEvaluation = scheduleAlertEvaluation(engine, leader);
  return () => {
    stopEvaluation();
    dispatcher.stop();
    background?.close();
  };
}
