// The ledger's storage seam: a tiny SQL interface (query and transaction) that PGlite, the embedded
// default, implements today and `pg` against a PostgreSQL server can implement later. One SQL dialect
// (PostgreSQL) for both; numeric values cross this seam as decimal strings, never as JS numbers.

export interface QueryResult<Row> {
  rows: Row[];
}

/** Anything that runs one SQL statement with positional parameters ($1, $2, ...). */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
  /** Several statements in one string, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * A database: statements, plus transactions. `transaction` commits when `fn` resolves and rolls back
 * when it throws (the error is rethrown). A server implementation runs the transaction on one pooled
 * connection at READ COMMITTED; the journal's posting takes row locks on the balances it changes, so
 * concurrent posters serialise on shared rows (docs/ledger.md "Concurrency").
 */
export interface Db extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
