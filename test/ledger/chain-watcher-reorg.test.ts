// Reorgs under the chain watcher, on a real anvil (evm_snapshot / evm_revert, then other blocks
// mined): the inclusions of deposits in orphaned blocks are reversed exactly (balances back, each
// reversal references its inclusion, replay agrees); a transaction re-mined in a new block is credited
// once; a deposit already final is never reversed, nor credited again when a reorg deeper than
// finality brings its transaction back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChainWatcher } from '../../ledger/chain-watcher.js';
import type { Db } from '../../ledger/db.js';
import { listDeposits } from '../../ledger/deposits.js';
import { getEntry } from '../../ledger/journal.js';
import { checkReplay } from '../../ledger/replay.js';
import {
  CHAIN,
  ETH,
  amounts,
  custodyBalance,
  customerBalance,
  mine,
  openDepositLedger,
  resetFunderNonce,
  rpc,
  sendRaw,
  signedTransfer,
  startDepositChain,
  transfer,
  type DepositChain,
} from '../helpers/deposit-chain.js';

let c: DepositChain;
let db: Db;
let watcher: ChainWatcher;
const CONFIRMATIONS = 5;

before(async () => {
  c = await startDepositChain();
  db = await openDepositLedger(c);
  watcher = new ChainWatcher(db, c.config({ confirmations: CONFIRMATIONS }));
  await watcher.step();
});
after(async () => {
  await db?.close();
  await c?.anvil.stop();
});

const revertTo = async (snap: string) => {
  assert.equal(await rpc(c, 'evm_revert', [snap]), true);
  resetFunderNonce();
};

test('a reorg removes two deposits: their inclusions are reversed exactly; the one re-mined is credited once', async () => {
  const d1 = await transfer(c, 'native', c.alice, ETH);
  assert.deepEqual(
    (await watcher.step()).included.map((d) => d.txHash),
    [d1],
  );
  const ancestor = await c.anvil.publicClient.getBlockNumber();

  const snap = await rpc<string>(c, 'evm_snapshot');
  const rawD2 = await signedTransfer(c, 'token', c.bob, 20n * ETH);
  const d2 = await sendRaw(c, rawD2);
  const d3 = await transfer(c, 'native', c.alice, 4n * ETH);
  const seen = await watcher.step();
  assert.deepEqual(
    seen.included.map((d) => d.txHash),
    [d2, d3],
  );
  assert.deepEqual(await customerBalance(db, 'alice', c.native), amounts({ pending: 5n * ETH }));
  assert.deepEqual(await customerBalance(db, 'bob', c.erc20), amounts({ pending: 20n * ETH }));

  // A crash left the row of the second deposit behind the journal (its inclusion posted, the row not
  // updated): the journal's key still finds the inclusion to reverse.
  const d3Row = seen.included.find((d) => d.txHash === d3)!;
  await db.query('UPDATE ledger_deposits SET inclusion_entry_id = NULL WHERE id = $1', [d3Row.id]);

  // The two blocks are replaced by one empty block: the chain is back at the ancestor, then goes on.
  await revertTo(snap);
  await mine(c, 1);
  const r = await watcher.step();
  assert.equal(r.reorg?.ancestor, ancestor);
  assert.equal(r.reorg?.deep, false);
  assert.equal(r.reorg?.orphaned.length, 2);
  assert.deepEqual(
    r.removed.map((d) => d.txHash),
    [d2, d3],
  );
  assert.deepEqual(r.included, []);
  for (const removed of r.removed) {
    const included = seen.included.find((d) => d.id === removed.id)!;
    const reversal = await getEntry(db, removed.reversalEntryId!);
    const inclusion = await getEntry(db, included.inclusionEntryId!);
    assert.equal(reversal?.kind, 'reversal');
    assert.equal(reversal?.reverses, included.inclusionEntryId, 'the reversal references the inclusion');
    assert.equal(reversal?.trace.traceId, inclusion?.trace.traceId);
    assert.deepEqual(
      reversal?.lines.map((l) => [l.accountId, l.state, l.amount]),
      inclusion?.lines.map((l) => [l.accountId, l.state, -l.amount]),
    );
  }
  assert.deepEqual(await customerBalance(db, 'alice', c.native), amounts({ pending: ETH }), "alice's balance is back to the first deposit");
  assert.deepEqual(await customerBalance(db, 'bob', c.erc20), amounts());
  assert.deepEqual(await custodyBalance(db, c.bob, c.erc20), amounts());
  assert.deepEqual(await custodyBalance(db, c.alice, c.native), amounts({ pending: -ETH }));
  assert.deepEqual(
    (await listDeposits(db, CHAIN, { status: 'removed' })).map((d) => d.txHash),
    [d2, d3],
  );
  assert.deepEqual((await checkReplay(db)).differences, []);

  // The token transfer is mined again, in a new block: a new inclusion, credited once.
  assert.equal(await sendRaw(c, rawD2), d2);
  const again = await watcher.step();
  assert.equal(again.reorg, null);
  assert.deepEqual(
    again.included.map((d) => d.txHash),
    [d2],
  );
  const [old, fresh] = (await listDeposits(db, CHAIN, { customer: 'bob' })).filter((d) => d.txHash === d2);
  assert.equal(old?.status, 'removed');
  assert.equal(fresh?.status, 'included');
  assert.notEqual(fresh?.blockHash, old?.blockHash);
  assert.notEqual(fresh?.inclusionEntryId, old?.inclusionEntryId);
  assert.deepEqual(await customerBalance(db, 'bob', c.erc20), amounts({ pending: 20n * ETH }));
  assert.deepEqual((await watcher.step()).included, [], 'seen once');

  await mine(c, CONFIRMATIONS);
  const fin = await watcher.step();
  assert.deepEqual(new Set(fin.finalized.map((d) => d.txHash)), new Set([d1, d2]));
  assert.deepEqual(await customerBalance(db, 'alice', c.native), amounts({ available: ETH }));
  assert.deepEqual(await customerBalance(db, 'bob', c.erc20), amounts({ available: 20n * ETH }));
  assert.deepEqual(await custodyBalance(db, c.bob, c.erc20), amounts({ settled: -20n * ETH }));
  assert.deepEqual((await checkReplay(db)).differences, []);
});

test('a reorg deeper than finality never reverses a final deposit, nor credits it again', async () => {
  const snap = await rpc<string>(c, 'evm_snapshot');
  const raw = await signedTransfer(c, 'native', c.bob, 2n * ETH);
  const tx = await sendRaw(c, raw);
  await watcher.step();
  await mine(c, CONFIRMATIONS);
  assert.deepEqual(
    (await watcher.step()).finalized.map((d) => d.txHash),
    [tx],
  );
  const entriesBefore = (await checkReplay(db)).entries;

  // Every block since the snapshot is replaced, the final one included; the transfer comes back.
  await revertTo(snap);
  await mine(c, 2);
  assert.equal(await sendRaw(c, raw), tx);
  await mine(c, CONFIRMATIONS + 2);
  const r = await watcher.step();
  assert.equal(r.reorg?.deep, true);
  assert.deepEqual(r.removed, [], 'a final deposit is not reversed');
  assert.deepEqual(r.included, []);
  assert.deepEqual(
    r.alreadyFinal.map((d) => d.txHash),
    [tx],
    'seen again in a new block, and not credited again',
  );
  assert.deepEqual(await customerBalance(db, 'bob', c.native), amounts({ available: 2n * ETH }));
  const check = await checkReplay(db);
  assert.equal(check.entries, entriesBefore, 'nothing posted');
  assert.deepEqual(check.differences, []);
});
