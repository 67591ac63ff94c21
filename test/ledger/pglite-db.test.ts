// The embedded database in a data folder: what was posted is there after a close and a reopen, the
// migrations do not run twice, and replay still matches the stored balances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customerAccount, custodyAccount, openAccount } from '../../ledger/accounts.js';
import { nativeAsset } from '../../ledger/assets.js';
import { accountBalance } from '../../ledger/balances.js';
import { getEntry, postEntry } from '../../ledger/journal.js';
import { migrate } from '../../ledger/migrations.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { checkReplay } from '../../ledger/replay.js';

test('a ledger in a data folder keeps its journal and balances across a reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = customerAccount('persist', nativeAsset(1));
  const h = custodyAccount('0x' + '33'.repeat(20), nativeAsset(1));

  const first = await openLedgerDb(dir);
  await openAccount(first, c);
  await openAccount(first, h);
  const posted = await postEntry(first, {
    kind: 'deposit.inclusion',
    idempotencyKey: 'persist:inc',
    trace: { traceId: 'dep-persist', bridgeRequestId: 'req-1', auditSeq: 3 },
    lines: [
      { account: c, state: 'pending', amount: 10n ** 30n },
      { account: h, state: 'pending', amount: -(10n ** 30n) },
    ],
  });
  await first.close();

  const again = await openLedgerDb(dir);
  try {
    assert.deepEqual(await migrate(again), [], 'the schema was there already');
    assert.deepEqual(await getEntry(again, posted.entry.id), posted.entry);
    assert.equal((await accountBalance(again, c))!.pending, 10n ** 30n, 'numeric(78,0) keeps every digit');
    assert.deepEqual((await checkReplay(again)).differences, []);
  } finally {
    await again.close();
  }
});

test('in-memory ledgers are independent, also when one starts from the saved empty cluster', async (t) => {
  const a = await openLedgerDb();
  t.after(() => a.close());
  const b = await openLedgerDb();
  t.after(() => b.close());
  const c = customerAccount('only-in-a', nativeAsset(1));
  await openAccount(a, c);
  assert.equal((await a.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_accounts')).rows[0]!.n, 1);
  assert.equal((await b.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_accounts')).rows[0]!.n, 0, 'the second database shares nothing with the first');
  assert.deepEqual(await migrate(b), [], 'each was migrated when opened');
});
