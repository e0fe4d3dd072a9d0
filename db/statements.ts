import type Database from "better-sqlite3";

/**
 * Statements prepared once per connection, on first use: `const statements = perConnection((sqlite) => ({ … }))`.
 * Hot paths (ingest, incident actions, the alerts outbox) reuse them instead of re-preparing SQL.
 */
export function perConnection<T>(prepare: (sqlite: Database.Database) => T): (sqlite: Database.Database) => T {
  const byConnection = new WeakMap<Database.Database, T>();
  return (sqlite) => {
    let prepared = byConnection.get(sqlite);
    if (!prepared) {
      prepared = prepare(sqlite);
      byConnection.set(sqlite, prepared);
    }
    return prepared;
  };
}
