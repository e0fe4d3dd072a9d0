import type { Param, Queryable } from "@/db/engine";

/** PostgreSQL's code for a statement cancelled by statement_timeout (query_canceled). */
const QUERY_CANCELED = "57014";

/**
 * `q` (a PostgreSQL connection or transaction) whose statements each run under statement_timeout
 * = what is left until `deadline` (epoch ms): past it PostgreSQL cancels the statement itself.
 * `scope`: "transaction" for a pooled connection's transaction (the setting ends with it),
 * "session" for a connection of one's own whose statements run outside transactions.
 */
export function withinDeadline(q: Queryable, deadline: number, scope: "transaction" | "session"): Queryable {
  const limit = async () => {
    const left = Math.ceil(deadline - Date.now());
    if (left <= 0) throw Object.assign(new Error("read past its deadline"), { code: QUERY_CANCELED });
    await q.exec(`SELECT set_config('statement_timeout', ?, ${scope === "transaction"})`, [String(left)]);
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
