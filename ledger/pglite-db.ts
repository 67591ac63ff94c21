// The embedded default: PostgreSQL in WebAssembly (PGlite) behind the ledger's Db interface, in memory
// or in a data folder. PGlite has one connection and runs one transaction at a time, so postings in one
// process never interleave; the row locks the journal takes matter for a server with several processes.
import { PGlite } from '@electric-sql/pglite';
import type { Db, QueryResult, Queryable } from './db.js';

export async function openPgliteDb(dataDir?: string): Promise<Db> {
  const pg = dataDir === undefined ? await PGlite.create() : await PGlite.create({ dataDir });
  return {
    async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
      const r = await pg.query<Row>(sql, params);
      return { rows: r.rows };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pg.transaction(async (tx) =>
        fn({
          async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
            const r = await tx.query<Row>(sql, params);
            return { rows: r.rows };
          },
          async exec(sql: string): Promise<void> {
            await tx.exec(sql);
          },
        }),
      );
    },
    async exec(sql: string): Promise<void> {
      await pg.exec(sql);
    },
    async close(): Promise<void> {
      await pg.close();
    },
  };
}
