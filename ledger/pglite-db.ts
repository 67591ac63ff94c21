// The embedded default: PostgreSQL in WebAssembly (PGlite) behind the ledger's Db interface, in memory
// or in a data folder. PGlite has one connection and runs one transaction at a time, so postings in one
// process never interleave; the row locks the journal takes matter for a server with several processes.
//
// A new in-memory database starts from a copy of an empty cluster saved the first time one was made
// (a gzip tarball under node_modules/.cache/, named for the PGlite version): running initdb in
// WebAssembly takes seconds of CPU, loading the copy a fraction of that. A copy that cannot be read or
// loaded is ignored and a fresh cluster is made.
import { PGlite } from '@electric-sql/pglite';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Db, QueryResult, Queryable } from './db.js';

const require = createRequire(import.meta.url);

function templatePath(): string | null {
  try {
    // The package exports no package.json: find its folder from its entry point (…/pglite/dist/index.cjs).
    const root = dirname(dirname(require.resolve('@electric-sql/pglite')));
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const nodeModules = dirname(dirname(root));
    return join(nodeModules, '.cache', 'ledger-pglite', `empty-cluster-${version}.tar.gz`);
  } catch {
    return null;
  }
}

async function freshInMemory(): Promise<PGlite> {
  const path = templatePath();
  if (path !== null) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([readFileSync(path)]) });
    } catch {
      // No copy yet, or one that does not load: make a fresh cluster below.
    }
  }
  const pg = await PGlite.create();
  if (path !== null) {
    try {
      const dump = Buffer.from(await (await pg.dumpDataDir('gzip')).arrayBuffer());
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, dump);
      renameSync(tmp, path);
    } catch {
      // A cache that cannot be written only costs the next process the same seconds.
    }
  }
  return pg;
}

export async function openPgliteDb(dataDir?: string): Promise<Db> {
  const pg = dataDir === undefined ? await freshInMemory() : await PGlite.create({ dataDir });
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
