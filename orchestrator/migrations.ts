// The orchestrator's schema track, beside the ledger's in the same database (its own version table
// and advisory lock).
import type { Db } from '../ledger/db.js';
import { runMigrations, type Migration } from '../ledger/migrations.js';
import { ORCH_MIGRATION_001 } from './schema/001-withdrawals.js';
import { ORCH_MIGRATION_002 } from './schema/002-cancel-requests.js';

export const ORCH_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'withdrawals', sql: ORCH_MIGRATION_001 },
  { version: 2, name: 'cancel requests', sql: ORCH_MIGRATION_002 },
];

export async function migrateOrchestrator(db: Db): Promise<number[]> {
  return runMigrations(db, { table: 'orch_migrations', lockKey: 7_411_300_014, migrations: ORCH_MIGRATIONS });
}
