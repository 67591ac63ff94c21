// Opens the ledger's database and brings it to the current schema: embedded PGlite, in memory when no
// folder is given (tests), or in a data folder.
import type { Db } from './db.js';
import { migrate } from './migrations.js';
import { openPgliteDb } from './pglite-db.js';

export async function openLedgerDb(dataDir?: string): Promise<Db> {
  const db = await openPgliteDb(dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
