// Runs one ledger test suite on each storage backend: embedded PGlite (in memory) and a real
// PostgreSQL server through `pg`. Each backend is its own `describe`; the PostgreSQL one starts a
// throwaway server before its tests and stops it after (one server per test file), and each `open()`
// is a fresh, migrated database, so a suite starts empty on either backend.
import { after, before, describe } from 'node:test';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { startPostgres, type PostgresServer } from './postgres.js';

export type BackendName = 'pglite' | 'postgres';

export interface LedgerBackend {
  name: BackendName;
  /** A new, empty ledger database on this backend (migrated). The suite closes it. */
  open(): Promise<Db>;
}

/** Declares `suite` once per backend, under `${title} (pglite)` and `${title} (postgres)`. */
export function describeEachBackend(title: string, suite: (backend: LedgerBackend) => void): void {
  describe(`${title} (pglite)`, () => {
    suite({ name: 'pglite', open: () => openLedgerDb() });
  });
  describe(`${title} (postgres)`, () => {
    let server: PostgresServer | undefined;
    let n = 0;
    // Registered before the suite's own hooks, so it runs first.
    before(async () => {
      server = await startPostgres();
    });
    after(async () => {
      await server?.stop();
    });
    suite({
      name: 'postgres',
      async open() {
        if (server === undefined) throw new Error('the PostgreSQL server did not start');
        return openLedgerDb({ url: await server.createDatabase(`ledger_${++n}`) });
      },
    });
  });
}
