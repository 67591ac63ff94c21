// The server backend itself: results read in PGlite's shapes (numeric as a string, int8 as a number or
// above 2^53 a bigint, int4 a number), a transaction commits or rolls back on one connection and gives
// it back on every path, and two ledgers migrating one database at once apply each migration once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPgliteDb } from '../../ledger/pglite-db.js';
import { openPgDb } from '../../ledger/pg-db.js';
import { migrate, MIGRATIONS } from '../../ledger/migrations.js';
import type { Db } from '../../ledger/db.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

const SHAPES =
  'SELECT 12::int8 AS small, 1152921504606846977::int8 AS big, (10::numeric(78,0) ^ 30)::numeric(78,0) AS num, 7::int AS i4, count(*)::int AS n, 5::text AS t, true AS b, \'{"a":[1]}\'::jsonb AS j FROM (VALUES (1)) v(x)';

test('the server backend reads values in the shapes PGlite gives', async () => {
  const pgDb = await openPgDb({ url: await server.createDatabase('shapes') });
  const lite = await openPgliteDb();
  try {
    const fromPg = (await pgDb.query(SHAPES)).rows[0]!;
    const fromLite = (await lite.query(SHAPES)).rows[0]!;
    assert.deepEqual(fromPg, fromLite);
    assert.equal(fromPg.small, 12);
    assert.equal(fromPg.big, 1152921504606846977n);
    assert.equal(typeof fromPg.num, 'string');
  } finally {
    await pgDb.close();
    await lite.close();
  }
});

test('a transaction commits when its function resolves and rolls back when it throws, returning the connection each time', async () => {
  const db: Db = await openPgDb({ url: await server.createDatabase('tx'), maxConnections: 1 });
  try {
    await db.exec('CREATE TABLE t (x int PRIMARY KEY)');
    assert.equal(await db.transaction(async (tx) => (await tx.query('INSERT INTO t VALUES (1) RETURNING x')).rows.length), 1);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (2)');
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    // A statement error inside the transaction rolls it back too.
    await assert.rejects(
      db.transaction((tx) => tx.query('INSERT INTO t VALUES (1)')),
      (e: unknown) => (e as { code?: string }).code === '23505',
    );
    // With a pool of one, each of these would wait for ever if a connection had not been given back.
    const level = await db.transaction(async (tx) => (await tx.query<{ l: string }>("SELECT current_setting('transaction_isolation') AS l")).rows[0]!.l);
    assert.equal(level, 'read committed');
    assert.deepEqual((await db.query<{ x: number }>('SELECT x FROM t ORDER BY x')).rows, [{ x: 1 }]);
  } finally {
    await db.close();
  }
});

test('two processes migrating one database at once apply each migration once', async () => {
  const url = await server.createDatabase('race');
  const a = await openPgDb({ url });
  const b = await openPgDb({ url });
  try {
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
    assert.deepEqual(
      [...ra, ...rb].sort((x, y) => x - y),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal((await a.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_migrations')).rows[0]!.n, MIGRATIONS.length);
  } finally {
    await a.close();
    await b.close();
  }
});
