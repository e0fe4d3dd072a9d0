import type { Param, Queryable } from "@/db/engine";

/** PostgreSQL's code for a statement cancelled by statement_timeout (query_canceled). */
const QUERY_CANCELED = "57014";

/** How stale the statement_timeout set on the connection may get: a statement may overrun the deadline by this much. */
const RESET_AFTER_MS = 50;

/**
 * `q` (a PostgreSQL connection or transaction) whose statements run under statement_timeout =
 * what is left until `deadline` (epoch ms): past it PostgreSQL cancels the statement itself. The
 * setting costs a round trip, so it is renewed only when RESET_AFTER_MS have passed since it was
 * set (a read of many short statements pays one or two); every statement checks the deadline.
 * `scope`: "transaction" for a pooled connection's transaction (the setting ends with it),
 * "session" for a connection of one's own whose statements run outside transactions.
 */
export function withinDeadline(q: Queryable, deadline: number, scope: "transaction" | "session"): Queryable {
  let setAt: number | undefined;
  const limit = async () => {
    const now = Date.now();
    const left = Math.ceil(deadline - now);
    if (left <= 0) throw Object.assign(new Error("read past its deadline"), { code: QUERY_CANCELED });
    if (setAt !== undefined && now - setAt < RESET_AFTER_MS) return;
    await q.exec(`SELECT set_config('statement_timeout', ?, ${scope === "transaction"})`, [String(left)]);
    setAt = now;
  };
  return {
    dialect: q.dialect,
    async query<T>(sql: string, params?: readonly Param[]) {
      await limit();
      return q.query<T>(sql, params);
    },
    async one<T>(sql: string, params?: readonly Param[]) {
      await limit();
      return q.one<T>(sql, params);
    },
    async exec(sql: string, params?: readonly Param[]) {
      await limit();
      return q.exec(sql, params);
    },
  };
}

/** Whether PostgreSQL cancelled the statement at its deadline (answered 503 query_timeout). */
export function cancelledAtDeadline(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === QUERY_CANCELED;
}
