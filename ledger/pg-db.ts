// The server backend: the ledger's Db interface over a `pg` connection pool to a PostgreSQL server, for
// several service processes on one database. Each transaction runs on one pooled connection at READ
// COMMITTED and gives the connection back on every path. Results have PGlite's shapes, so the same
// queries read the same values on both backends: numeric as a decimal string, int2/int4 as a number,
// int8 as a number when it is a safe integer and a bigint above that (PGlite's rule), bool, jsonb and
// timestamps as `pg` parses them (PGlite does the same).
import pg from 'pg';
import type { Db, QueryResult, Queryable } from './db.js';

export interface PgDbOptions {
  /** A PostgreSQL connection string: postgres://user@host:port/database. */
  url: string;
  /** The most connections the pool opens (default 10). */
  maxConnections?: number;
}

const INT8_OID = 20;

function parseInt8(text: string): number | bigint {
  const big = BigInt(text);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

// One parser table for the pool (the process-wide `pg.types` stays untouched).
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
      const r = await client.query(sql, params);
      return { rows: r.rows as Row[] };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters `pg` sends the simple query protocol, which runs several statements.
      await client.query(sql);
    },
  };
}

export async function openPgDb(opts: PgDbOptions): Promise<Db> {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.maxConnections ?? 10, types: typeParsers });
  // An idle connection the server drops (a restart, an administrator) is removed from the pool; the next
  // query opens a new one. Without a listener the pool's 'error' event would end the process.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end();
    throw err;
  }
  const direct = queryable(pool);
  return {
    ...direct,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A connection whose rollback failed is in an unknown state: the pool closes it instead of reusing it.
      let broken: Error | undefined;
      try {
        await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
        const out = await fn(queryable(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
