// The reconciliation benchmark's seeding on a small scale against a real anvil: the journal written
// straight in with SQL is one posting would accept (replay agrees with the stored balances) and the
// chain set to match, so the timed run finds no break. The 100k-entry run belongs to `make bench`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { benchAddress, benchReconcile } from '../../bench/ledger-reconcile.js';
import { chainClient, type ChainConfig } from '../../ledger/chain.js';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { checkReplay } from '../../ledger/replay.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';

let anvil: Anvil;
let db: Db;
before(async () => {
  anvil = await startAnvil();
  db = await openLedgerDb();
});
after(async () => {
  await db?.close();
  await anvil?.stop();
});

test('a seeded ledger of 2,000 entries over 7 addresses reconciles with no break and replays', async () => {
  const config: ChainConfig = { chainId: 31337n, rpcUrl: anvil.rpcUrl, finality: { confirmations: 0 }, tokens: [] };
  const setBalance = async (address: string, wei: bigint) => {
    await anvil.publicClient.request({ method: 'anvil_setBalance' as never, params: [address, `0x${wei.toString(16)}`] as never });
    await anvil.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
  };
  const r = await benchReconcile(db, { client: chainClient(config), config, setBalance }, { addresses: 7, entries: 2000 });
  assert.equal(r.entries, 2000);
  assert.equal(r.addresses, 7);
  assert.equal(r.breaks, 0);
  assert.ok(r.reconcileSeconds > 0);
  const check = await checkReplay(db);
  assert.equal(check.entries, 2000);
  assert.deepEqual(check.differences, []);
  // Deposit d goes to address (d - 1) % 7 with amount 1000 + d % 97: address 0 holds deposits 1, 8, 15, ...
  let expect = 0n;
  for (let d = 1; d <= 1000; d += 7) expect += 1000n + BigInt(d % 97);
  assert.equal(await anvil.publicClient.getBalance({ address: benchAddress(0) as `0x${string}` }), expect);
  const settled = await db.query<{ amount: string }>("SELECT amount::text AS amount FROM ledger_balances WHERE account_id = $1 AND state = 'settled'", [`custody/${benchAddress(0)}/31337:native`]);
  assert.equal(BigInt(settled.rows[0]!.amount), -expect);
  // Deposits are inclusion and finality pairs: an odd number of entries is refused before anything is written.
  await assert.rejects(benchReconcile(db, { client: chainClient(config), config, setBalance }, { entries: 3 }), RangeError);
});
