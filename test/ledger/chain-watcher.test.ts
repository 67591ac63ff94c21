// The chain watcher on a real anvil: deposits of ETH and of a solc-compiled ERC-20 to two customers are
// Pending at inclusion and Available (customer) / Settled (custody address) at finality, under a
// confirmation depth and under the node's `finalized` tag; a transfer from a custody address and one to
// an unregistered address are not credited; repeated steps, a crash between posting and the cursor,
// and a second watcher on the same database never credit twice. Blocks are mined by RPC, no waiting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createWalletClient, encodeFunctionData, http, type Hex } from 'viem';
import { ChainWatcher, type StepResult } from '../../ledger/chain-watcher.js';
import { registerCustodyAddress } from '../../ledger/custody-addresses.js';
import type { Db } from '../../ledger/db.js';
import { listDeposits } from '../../ledger/deposits.js';
import { LedgerError } from '../../ledger/errors.js';
import { getEntry } from '../../ledger/journal.js';
import { checkReplay } from '../../ledger/replay.js';
import { readCursor, setCursor } from '../../ledger/scan-cursor.js';
import {
  CHAIN,
  ETH,
  amounts,
  custodyBalance,
  customerBalance,
  mine,
  openDepositLedger,
  setAutomine,
  startDepositChain,
  transfer,
  type DepositChain,
  resetFunderNonce,
} from '../helpers/deposit-chain.js';
import { deployFromFunder, nextFunderDeployment } from '../helpers/e2e-token.js';

let c: DepositChain;
let db: Db;
const CONFIRMATIONS = 3;

before(async () => {
  c = await startDepositChain();
  db = await openDepositLedger(c);
});
after(async () => {
  await db?.close();
  await c?.anvil.stop();
});

const entryCount = async (d: Db) => Number((await d.query<{ n: string }>('SELECT count(*)::text AS n FROM ledger_entries')).rows[0]!.n);

test('ETH and token deposits to two customers: Pending at inclusion, Available and Settled at finality', async () => {
  const watcher = new ChainWatcher(db, c.config({ confirmations: CONFIRMATIONS }));
  await watcher.step(); // catch up with the deployment and the hot address's funding: nothing to credit
  assert.equal((await listDeposits(db, CHAIN)).length, 0);

  // Four transfers in one block, so none is final when the watcher first sees them.
  await setAutomine(c, false);
  const txs = [
    await transfer(c, 'native', c.alice, 2n * ETH),
    await transfer(c, 'token', c.bob, 50n * ETH),
    await transfer(c, 'native', c.bob, 3n * ETH),
    await transfer(c, 'token', c.alice, 7n * ETH),
  ];
  await mine(c, 1);
  await setAutomine(c, true);

  const first = await watcher.step();
  assert.equal(first.included.length, 4);
  assert.deepEqual(new Set(first.included.map((d) => d.txHash)), new Set(txs));
  assert.equal(first.finalized.length, 0);
  const nativeDep = first.included.find((d) => d.txHash === txs[0])!;
  assert.equal(nativeDep.logIndex, -1, 'a native deposit carries the native marker');
  assert.equal(nativeDep.customer, 'alice');
  const tokenDep = first.included.find((d) => d.txHash === txs[1])!;
  assert.ok(tokenDep.logIndex >= 0);
  assert.equal(tokenDep.asset, c.erc20);
  const incl = await getEntry(db, nativeDep.inclusionEntryId!);
  assert.equal(incl?.kind, 'deposit.inclusion');
  assert.equal(incl?.trace.traceId, `deposit:${CHAIN}:${txs[0]}:native`);
  assert.equal((await getEntry(db, tokenDep.inclusionEntryId!))?.trace.traceId, `deposit:${CHAIN}:${txs[1]}:${tokenDep.logIndex}`);

  assert.deepEqual(await customerBalance(db, 'alice', c.native), amounts({ pending: 2n * ETH }));
  assert.deepEqual(await customerBalance(db, 'alice', c.erc20), amounts({ pending: 7n * ETH }));
  assert.deepEqual(await customerBalance(db, 'bob', c.native), amounts({ pending: 3n * ETH }));
  assert.deepEqual(await customerBalance(db, 'bob', c.erc20), amounts({ pending: 50n * ETH }));
  assert.deepEqual(await custodyBalance(db, c.alice, c.native), amounts({ pending: -2n * ETH }));
  assert.deepEqual(await custodyBalance(db, c.bob, c.erc20), amounts({ pending: -50n * ETH }));

  // One block short of the depth: still Pending.
  await mine(c, CONFIRMATIONS - 1);
  assert.equal((await watcher.step()).finalized.length, 0);
  assert.deepEqual(await customerBalance(db, 'bob', c.erc20), amounts({ pending: 50n * ETH }));

  await mine(c, 1);
  const fin = await watcher.step();
  assert.equal(fin.finalized.length, 4);
  assert.deepEqual(await customerBalance(db, 'alice', c.native), amounts({ available: 2n * ETH }));
  assert.deepEqual(await customerBalance(db, 'alice', c.erc20), amounts({ available: 7n * ETH }));
  assert.deepEqual(await customerBalance(db, 'bob', c.native), amounts({ available: 3n * ETH }));
  assert.deepEqual(await customerBalance(db, 'bob', c.erc20), amounts({ available: 50n * ETH }));
  assert.deepEqual(await custodyBalance(db, c.alice, c.native), amounts({ settled: -2n * ETH }));
  assert.deepEqual(await custodyBalance(db, c.bob, c.native), amounts({ settled: -3n * ETH }));
  assert.deepEqual(await custodyBalance(db, c.bob, c.erc20), amounts({ settled: -50n * ETH }));
  assert.ok((await listDeposits(db, CHAIN)).every((d) => d.status === 'final' && d.finalityEntryId !== null));
  assert.deepEqual((await checkReplay(db)).differences, []);
});

test('a transfer from a custody address (a gas top-up), one to an unregistered address and one to the hot address are not credited', async () => {
  const watcher = new ChainWatcher(db, c.config({ confirmations: CONFIRMATIONS }));
  const before = await entryCount(db);
  const topUp = (await c.hot.wallet.sendTransaction({ to: c.alice, value: ETH / 10n, account: c.hot.wallet.account!, chain: c.hot.wallet.chain })).toLowerCase();
  await c.anvil.publicClient.waitForTransactionReceipt({ hash: topUp as `0x${string}` });
  await transfer(c, 'native', c.stranger, ETH);
  await transfer(c, 'token', c.stranger, ETH);
  await transfer(c, 'token', c.hot.address, ETH); // the hot address is custody, not a deposit address
  await mine(c, CONFIRMATIONS);
  const r = await watcher.step();
  assert.deepEqual(r.included, []);
  assert.deepEqual(
    r.skipped.map((t) => [t.txHash, t.from, t.to]),
    [[topUp, c.hot.address, c.alice]],
    'the top-up is seen, and skipped as the custody moving its own funds',
  );
  assert.equal(await entryCount(db), before, 'nothing posted');
  assert.deepEqual(await customerBalance(db, 'alice', c.native), amounts({ available: 2n * ETH }));
  assert.equal(await customerBalance(db, 'stranger', c.native), null);
});

test('a failed transaction to a deposit address is not credited, native or token', async () => {
  const watcher = new ChainWatcher(db, c.config({ confirmations: CONFIRMATIONS }));
  // A deposit address that refuses coin: a contract with no payable function (a second copy of the
  // token). A transaction sending it ETH is mined with status reverted and moves nothing.
  const refusing = (await nextFunderDeployment(c.anvil)).toLowerCase() as Hex;
  await deployFromFunder(c.anvil, c.token, [c.anvil.funder.account!.address, ETH], refusing);
  await registerCustodyAddress(db, { chainId: CHAIN, address: refusing, role: 'deposit', customer: 'carol' });
  resetFunderNonce();
  const native = await transfer(c, 'native', refusing, ETH);
  assert.equal((await c.anvil.publicClient.waitForTransactionReceipt({ hash: native })).status, 'reverted');

  // A token transfer from an account that holds none reverts: no Transfer log.
  const poor = privateKeyToAccount(generatePrivateKey());
  await c.anvil.publicClient.waitForTransactionReceipt({ hash: await transfer(c, 'native', poor.address.toLowerCase() as Hex, ETH) });
  const wallet = createWalletClient({ account: poor, chain: c.anvil.funder.chain, transport: http(c.anvil.rpcUrl) });
  const data = encodeFunctionData({ abi: c.token.abi, functionName: 'transfer', args: [c.bob, ETH] });
  const hash = await wallet.sendTransaction({ to: c.token.address, data, gas: 100_000n, account: poor, chain: c.anvil.funder.chain });
  assert.equal((await c.anvil.publicClient.waitForTransactionReceipt({ hash })).status, 'reverted');

  const r = await watcher.step();
  assert.deepEqual(r.included, []);
  assert.equal(await customerBalance(db, 'carol', c.native), null);
  assert.deepEqual(await customerBalance(db, 'bob', c.erc20), amounts({ available: 50n * ETH }));
});

test('repeated steps, a crash between posting and the cursor, and a second watcher never credit twice', async () => {
  const watcher = new ChainWatcher(db, c.config({ confirmations: CONFIRMATIONS }));
  const tx = await transfer(c, 'native', c.bob, ETH);
  const r1 = await watcher.step();
  assert.deepEqual(
    r1.included.map((d) => d.txHash),
    [tx],
  );
  const afterFirst = await entryCount(db);
  assert.deepEqual((await watcher.step()).included, [], 'a second step finds nothing new');

  // The state a crash leaves after the inclusion was posted but before the deposit row and the cursor
  // were updated: the row has no entry id and the cursor is back before the block.
  const dep = r1.included[0]!;
  await db.query('UPDATE ledger_deposits SET inclusion_entry_id = NULL WHERE id = $1', [dep.id]);
  await setCursor(db, CHAIN, dep.blockNumber);
  const second = new ChainWatcher(db, c.config({ confirmations: CONFIRMATIONS }));
  const r2 = await second.step();
  assert.deepEqual(r2.included, [], 'the posting is found under its idempotency key, not made again');
  assert.equal(await entryCount(db), afterFirst);
  const [row] = await listDeposits(db, CHAIN, { customer: 'bob', status: 'included' });
  assert.equal(row?.inclusionEntryId, dep.inclusionEntryId, 'the row gets its entry back');
  assert.deepEqual(await customerBalance(db, 'bob', c.native), amounts({ available: 3n * ETH, pending: ETH }));

  // A new watcher on the same database continues from the cursor, and finality is posted once.
  const cursor = await readCursor(db, CHAIN);
  await mine(c, CONFIRMATIONS);
  const third = new ChainWatcher(db, c.config({ confirmations: CONFIRMATIONS }));
  const [a, b] = await Promise.all([third.step(), second.step()]);
  assert.equal(a.scanned.from, cursor);
  assert.equal(a.finalized.length + b.finalized.length, 1, 'two watchers finalise the deposit once between them');
  assert.deepEqual(await customerBalance(db, 'bob', c.native), amounts({ available: 4n * ETH }));
  assert.deepEqual((await checkReplay(db)).differences, []);
});

test("the `finalized` tag: anvil's final block is 64 below the latest", async () => {
  // The same database, so the watcher continues from the cursor the others left.
  const watcher = new ChainWatcher(db, c.config({ tag: 'finalized' }));
  await transfer(c, 'token', c.alice, 5n * ETH);
  const r = await watcher.step();
  assert.equal(r.included.length, 1);
  const latest = await c.anvil.publicClient.getBlockNumber();
  assert.equal(r.finalBlock, latest >= 64n ? latest - 64n : 0n);
  const block = r.included[0]!.blockNumber;
  await mine(c, Number(block + 64n - latest) - 1);
  assert.equal((await watcher.step()).finalized.length, 0, 'one block short of 64 below the latest');
  assert.deepEqual(await customerBalance(db, 'alice', c.erc20), amounts({ available: 7n * ETH, pending: 5n * ETH }));
  await mine(c, 1);
  assert.equal((await watcher.step()).finalized.length, 1);
  assert.deepEqual(await customerBalance(db, 'alice', c.erc20), amounts({ available: 12n * ETH }));
  assert.deepEqual(await custodyBalance(db, c.alice, c.erc20), amounts({ settled: -12n * ETH }));
  assert.deepEqual((await checkReplay(db)).differences, []);
});

test('a watcher pointed at another chain refuses to run', async () => {
  const watcher = new ChainWatcher(db, { ...c.config({ confirmations: 1 }), chainId: 1n });
  await assert.rejects(watcher.step(), (e: unknown) => e instanceof LedgerError && e.code === 'chain_mismatch');
});

test('the loop: steps through the injected scheduler, again after the interval, until stopped', async () => {
  const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const scheduler = {
    schedule(fn: () => void, ms: number) {
      const job = { fn, ms, cancelled: false };
      pending.push(job);
      return () => {
        job.cancelled = true;
      };
    },
  };
  const results: StepResult[] = [];
  let stepped: () => void = () => undefined;
  const watcher = new ChainWatcher(db, c.config({ confirmations: CONFIRMATIONS }), {
    scheduler,
    intervalMs: 1234,
    onStep: (r) => {
      results.push(r);
      stepped();
    },
    onError: (err) => assert.fail(String(err)),
  });
  const fire = async () => {
    const job = pending.shift()!;
    const done = new Promise<void>((resolve) => (stepped = resolve));
    job.fn();
    await done;
  };
  watcher.start();
  assert.deepEqual(
    pending.map((j) => j.ms),
    [0],
    'the first step is scheduled at once',
  );
  const tx = await transfer(c, 'native', c.alice, ETH);
  await fire();
  assert.deepEqual(
    results[0]!.included.map((d) => d.txHash),
    [tx],
  );
  await new Promise((r) => setImmediate(r)); // the loop schedules the next step when the step's promise settles
  assert.deepEqual(
    pending.map((j) => j.ms),
    [1234],
    'the next step comes an interval after',
  );
  await mine(c, CONFIRMATIONS);
  await fire();
  assert.equal(results[1]!.finalized.length, 1);
  await new Promise((r) => setImmediate(r));
  await watcher.stop();
  assert.equal(pending.length, 1);
  assert.equal(pending[0]!.cancelled, true, 'stop cancels the next step');
});
