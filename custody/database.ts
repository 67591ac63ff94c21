// Opens the service's database (the ledger's schema and the orchestrator's, one database) the config names: embedded PGlite (in a data folder, or in memory when the
// config gives none), or a PostgreSQL server by URL once the ledger has that backend. Until then a
// postgresUrl is refused with a CustodyConfigError naming the field, before anything starts.
import type { Db } from '../ledger/db.js';
import { openLedgerDb } from '../ledger/open-ledger.js';
import { migrateOrchestrator } from '../orchestrator/migrations.js';
import { CustodyConfigError, type DatabaseConfig } from './config.js';

/** Whether this build can open a PostgreSQL server (ledger/pg-db.ts). */
export const POSTGRES_AVAILABLE = false;

export async function openCustodyDb(cfg: DatabaseConfig): Promise<Db> {
  if (cfg.kind === 'postgres') {
    if (!POSTGRES_AVAILABLE) throw new CustodyConfigError('database.postgresUrl', 'this build has no PostgreSQL backend yet; use database.dataDir (embedded PGlite)');
    throw new CustodyConfigError('database.postgresUrl', 'unreachable');
  }
  const db = await openLedgerDb(cfg.dataDir);
  try {
    await migrateOrchestrator(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
