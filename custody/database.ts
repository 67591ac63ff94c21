// Opens the service's database (the ledger's schema and the orchestrator's, in one database) as the
// config names it: embedded PGlite (in a data folder, or in memory when the config gives none), or a
// PostgreSQL server by URL when several service processes share it (ledger/pg-db.ts).
import type { Db } from '../ledger/db.js';
import { openLedgerDb } from '../ledger/open-ledger.js';
import { migrateOrchestrator } from '../orchestrator/migrations.js';
import type { DatabaseConfig } from './config.js';

export async function openCustodyDb(cfg: DatabaseConfig): Promise<Db> {
  const db = cfg.kind === 'postgres' ? await openLedgerDb({ url: cfg.url }) : await openLedgerDb(cfg.dataDir);
  try {
    await migrateOrchestrator(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
