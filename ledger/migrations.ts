// Brings a ledger database to the current schema: the migrations in order, each in its own
// transaction with its version recorded, under an advisory lock so two processes starting on one
// server do not both apply it.
import type { Db } from './db.js';
import { MIGRATION_001_JOURNAL } from './schema/001-journal.js';
import { MIGRATION_002_CUSTODY_ADDRESSES } from './schema/002-custody-addresses.js';
import { MIGRATION_003_DEPOSITS } from './schema/003-deposits.js';
import { MIGRATION_004_RECONCILIATION } from './schema/004-reconciliation.js';
import { MIGRATION_005_SWEEPS } from './schema/005-sweeps.js';
import { MIGRATION_006_HD_DEPOSITS } from './schema/006-hd-deposits.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Versions are taken in order; each feature adds its own file under schema/ and one line here.
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'journal', sql: MIGRATION_001_JOURNAL },
  { version: 2, name: 'custody addresses', sql: MIGRATION_002_CUSTODY_ADDRESSES },
  { version: 3, name: 'deposits', sql: MIGRATION_003_DEPOSITS },
  { version: 4, name: 'reconciliation', sql: MIGRATION_004_RECONCILIATION },
  { version: 5, name: 'sweeps', sql: MIGRATION_005_SWEEPS },
  { version: 6, name: 'hd deposits', sql: MIGRATION_006_HD_DEPOSITS },
];

const LOCK_KEY = 7_411_300_013;

/** Applies the ledger's migrations not applied yet; returns the versions it applied. */
export async function migrate(db: Db): Promise<number[]> {
  return runMigrations(db, { table: 'ledger_migrations', lockKey: LOCK_KEY, migrations: MIGRATIONS });
}

/** One schema track (the ledger's, the orchestrator's): its own version table and advisory lock. */
export interface MigrationTrack {
  table: string;
  lockKey: number;
  migrations: readonly Migration[];
}

/** Applies a track's migrations not applied yet, in order, each in its own transaction under the track's lock. */
export async function runMigrations(db: Db, track: MigrationTrack): Promise<number[]> {
  if (!/^[a-z_]+$/.test(track.table)) throw new RangeError('bad migration table name');
  // Under the lock too: two sessions running CREATE TABLE IF NOT EXISTS at once can both pass the
  // check, and the second then fails on the catalogue's unique index.
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [track.lockKey]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${track.table} (version integer PRIMARY KEY, name text NOT NULL)`);
  });
  const applied: number[] = [];
  for (const m of track.migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [track.lockKey]);
      const have = await tx.query(`SELECT 1 FROM ${track.table} WHERE version = $1`, [m.version]);
      if (have.rows.length > 0) return false;
      await tx.exec(m.sql);
      await tx.query(`INSERT INTO ${track.table} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
