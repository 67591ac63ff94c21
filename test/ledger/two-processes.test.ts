// Two service processes writing to one PostgreSQL ledger at once (issue 13): both migrate a fresh
// database at the same time, then each posts a few hundred seeded random entries against the same
// customers from several connections: deposits and their finality or reversal, withdrawal requests
// that overdraw and are refused, cancels, and entries both post under one idempotency key, some of
// which both reverse. Afterwards what the processes report and what the journal holds agree exactly
// (no lost posting, none twice), no customer balance is negative, and replay reproduces every balance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { checkReplay } from '../../ledger/replay.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import type { PosterArgs, PosterReport } from './fixtures/poster.js';

const here = dirname(fileURLToPath(import.meta.url));
const CUSTOMERS = ['ann', 'ben', 'cat'];
const SHARED = 40;

let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

function runPoster(args: PosterArgs): Promise<PosterReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'fixtures', 'poster.js'), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`poster ${args.tag} exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim()) as PosterReport);
    });
  });
}

test('two processes posting at once: every posting is in the journal once, no balance negative, replay matches', async () => {
  const url = await server.createDatabase('two_writers');
  const common = { url, count: 300, customers: CUSTOMERS, shared: SHARED, workers: 4 };
  const reports = await Promise.all([runPoster({ ...common, tag: 'p1', seed: 1 }), runPoster({ ...common, tag: 'p2', seed: 2 })]);

  const db: Db = await openLedgerDb({ url });
  try {
    const journal = new Map((await db.query<{ id: number; key: string }>('SELECT id, idempotency_key AS key FROM ledger_entries')).rows.map((r) => [r.key, r.id]));
    const posted = reports.flatMap((r) => r.posted);
    const refused = reports.flatMap((r) => r.refused);

    // Every success a process saw is in the journal under its key and id.
    for (const p of posted) assert.equal(journal.get(p.key), p.id, `${p.key} is entry ${p.id} in the journal`);
    // Every journal entry was written by exactly one posting; the others under its key were duplicates.
    const firsts = new Map<string, number>();
    for (const p of posted) if (!p.duplicate) firsts.set(p.key, (firsts.get(p.key) ?? 0) + 1);
    for (const [key] of journal) assert.equal(firsts.get(key), 1, `${key} was written once`);
    assert.equal(
      journal.size,
      [...firsts.values()].reduce((a, b) => a + b, 0),
    );
    // A refusal wrote nothing.
    for (const r of refused) if (!posted.some((p) => p.key === r.key)) assert.equal(journal.has(r.key), false, `refused ${r.key} is not in the journal`);

    // The two processes did race: both posted every shared entry, one of each pair as a duplicate; both
    // reversed the shared entries under one key, and under their own keys one was refused.
    for (let k = 0; k < SHARED; k++) {
      const both = posted.filter((p) => p.key === `shared-${k}`);
      assert.equal(both.length, 2, `shared-${k} posted by both`);
      assert.deepEqual(both.map((p) => p.duplicate).sort(), [false, true]);
      if (k % 4 === 1) {
        const own = [...posted, ...refused].filter((p) => p.key.endsWith(`-shared-${k}:reorg`));
        assert.equal(own.length, 2);
        assert.equal(refused.filter((r) => r.key.endsWith(`-shared-${k}:reorg`) && r.code === 'already_reversed').length, 1);
      }
    }
    const codes = new Set(refused.map((r) => r.code));
    for (const code of codes) assert.ok(['negative_balance', 'already_reversed'].includes(code), `unexpected refusal ${code}`);
    assert.ok(
      refused.some((r) => r.code === 'negative_balance'),
      'some withdrawals overdrew and were refused',
    );
    assert.ok(
      reports.every((r) => r.posted.filter((p) => !p.duplicate).length > 100),
      'each process wrote a few hundred entries',
    );

    const negative = await db.query("SELECT b.account_id, b.state, b.amount::text FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id WHERE a.kind = 'customer' AND b.amount < 0");
    assert.deepEqual(negative.rows, []);
    const unbalanced = await db.query('SELECT a.asset FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id GROUP BY a.asset HAVING sum(l.amount) <> 0');
    assert.deepEqual(unbalanced.rows, []);
    const replay = await checkReplay(db);
    assert.equal(replay.entries, journal.size);
    assert.deepEqual(replay.differences, []);
  } finally {
    await db.close();
  }
});
