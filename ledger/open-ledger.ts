// Opens the ledger's database and brings it to the current schema: embedded PGlite, in memory when no
// folder is given (tests) or in a data folder; or a PostgreSQL server through `pg` when a connection
// string is given (several service processes on one database).
import type { Db } from './db.js';
import { migrate } from './migrations.js';
import { openPgDb } from './pg-db.js';
import { openPgliteDb } from './pglite-db.js';

export interface LedgerDbOptions {
  /** PGlite's data folder (embedded); in memory when neither this nor `url` is given. */
  dataDir?: string;
  /** A PostgreSQL connection string (postgres://... or postgresql://...): the server backend. */
  url?: string;
  /** The server backend's pool size (default 10). */
  maxConnections?: number;
}

const isPostgresUrl = (s: string) => /^postgres(ql)?:\/\//.test(s);

/**
 * `where` is a data folder, a PostgreSQL connection string, or the options; nothing means an embedded
 * database in memory.
 */
export async function openLedgerDb(where?: string | LedgerDbOptions): Promise<Db> {
  const opts: LedgerDbOptions = typeof where === 'string' ? (isPostgresUrl(where) ? { url: where } : { dataDir: where }) : (where ?? {});
  if (opts.url !== undefined && opts.dataDir !== undefined) throw new Error('openLedgerDb: give a data folder or a connection string, not both');
  const db = opts.url !== undefined ? await openPgDb({ url: opts.url, ...(opts.maxConnections === undefined ? {} : { maxConnections: opts.maxConnections }) }) : await openPgliteDb(opts.dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
