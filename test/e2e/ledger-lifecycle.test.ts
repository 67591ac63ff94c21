// The ledger's whole story (issue 13's end-to-end test), in order, through the real appliance on its
// SoftHSM2 token, the real bridge served over HTTP, and anvil, with the ledger on embedded PGlite and on
// a real PostgreSQL server: two customers get deposit addresses the appliance makes (POST /v1/keys with
// an admin's stamp); ETH to both and a solc-compiled ERC-20 to one are credited Pending at inclusion,
// then Available (customer) and Settled (custody address) at finality by the chain watcher; a reorg
// (evm_snapshot / evm_revert) removes a deposit before it is final and its inclusion is reversed
// exactly; one deposit address's ETH is swept to the hot address (signed by the appliance, mined on
// anvil, the `sweep` entry posted at finality); reconciliation at the final block finds zero breaks;
// then an unknown transfer into the hot address makes exactly one break, in suspense, with one open
// exception and one event, and a further run makes none. Blocks are mined by RPC; finality is a
// confirmation depth, so nothing waits on the clock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { erc20Abi, parseEther, parseTransaction, recoverTransactionAddress, type Hex, type PublicClient } from 'viem';
import { custodyAccount, customerAccount, feesAccount, suspenseAccount, type AccountRef } from '../../ledger/accounts.js';
import { erc20Asset, nativeAsset } from '../../ledger/assets.js';
import { accountBalance, type StateAmounts } from '../../ledger/balances.js';
import type { ChainConfig } from '../../ledger/chain.js';
import { ChainWatcher } from '../../ledger/chain-watcher.js';
import { registerCustodyAddress } from '../../ledger/custody-addresses.js';
import type { Db } from '../../ledger/db.js';
import { provisionDepositAddress } from '../../ledger/deposit-addresses.js';
import { listDeposits } from '../../ledger/deposits.js';
import { listEvents } from '../../ledger/events.js';
import { listExceptions } from '../../ledger/exceptions.js';
import { getEntry } from '../../ledger/journal.js';
import { reconciliationJson, reconciliationMarkdown } from '../../ledger/reconcile-report.js';
import { reconcile } from '../../ledger/reconcile.js';
import { checkReplay } from '../../ledger/replay.js';
import { settleSweeps, startSweep, type SweepContext } from '../../ledger/sweep.js';
import { describeEachBackend } from '../helpers/ledger-backends.js';
import { startLedgerAppliance, type LedgerAppliance } from '../helpers/ledger-appliance.js';
import { CHAIN_ID } from '../helpers/test-device.js';

const CHAIN = BigInt(CHAIN_ID);
const NATIVE = nativeAsset(CHAIN);
const CONFIRMATIONS = 3;

describeEachBackend('the ledger end to end: deposits, a reorg, a sweep and reconciliation through the appliance on anvil', (backend) => {
  let rig: LedgerAppliance;
  let db: Db;
  let cfg: ChainConfig;
  let watcher: ChainWatcher;
  let ctx: SweepContext;
  let TOKEN: string;
  let HOT: string;
  const dep = { alice: '', bob: '' };

  const client = () => rig.anvil.publicClient as PublicClient;
  const balance = async (ref: AccountRef): Promise<StateAmounts> => {
    const b = await accountBalance(db, ref);
    return b === null ? { available: 0n, reserved: 0n, pending: 0n, settled: 0n } : { available: b.available, reserved: b.reserved, pending: b.pending, settled: b.settled };
  };
  const amounts = (a: Partial<StateAmounts>): StateAmounts => ({ available: 0n, reserved: 0n, pending: 0n, settled: 0n, ...a });
  const sendEth = async (to: string, value: bigint): Promise<Hex> => {
    const hash = await rig.anvil.funder.sendTransaction({ to: to as Hex, value, account: rig.anvil.funder.account!, chain: rig.anvil.funder.chain });
    assert.equal((await client().waitForTransactionReceipt({ hash, pollingInterval: 50 })).status, 'success');
    return hash.toLowerCase() as Hex;
  };
  const sendToken = async (to: string, value: bigint): Promise<Hex> => {
    const hash = await rig.anvil.funder.writeContract({
      address: rig.tokenAddress,
      abi: erc20Abi,
      functionName: 'transfer',
      args: [to as Hex, value],
      account: rig.anvil.funder.account!,
      chain: rig.anvil.funder.chain,
    });
    assert.equal((await client().waitForTransactionReceipt({ hash, pollingInterval: 50 })).status, 'success');
    return hash.toLowerCase() as Hex;
  };
  const ethOf = (address: string) => client().getBalance({ address: address as Hex });
  const tokenOf = (address: string) => client().readContract({ address: rig.tokenAddress, abi: erc20Abi, functionName: 'balanceOf', args: [address as Hex] });
  /** What the custody service does before reconciling: the watcher's and the sweeps' finality postings up to the final block. */
  const catchUp = async () => {
    const step = await watcher.step();
    await settleSweeps(ctx);
    return step;
  };

  before(async () => {
    rig = await startLedgerAppliance();
    db = await backend.open();
    HOT = rig.hotAddress;
    TOKEN = erc20Asset(CHAIN, rig.tokenAddress);
    await registerCustodyAddress(db, { chainId: CHAIN, address: HOT, role: 'hot', keyId: rig.hotKeyId, keyGroup: 'hot' });
    cfg = { chainId: CHAIN, rpcUrl: rig.anvil.rpcUrl, finality: { confirmations: CONFIRMATIONS }, tokens: [rig.tokenAddress] };
    watcher = new ChainWatcher(db, cfg, { startBlock: await client().getBlockNumber({ cacheTime: 0 }), client: client() });
    ctx = rig.sweepContext(db, cfg.finality);
  });
  after(async () => {
    await db?.close();
    await rig?.stop();
  });

  test('each customer gets a deposit address: a key the appliance makes in the deposit group, registered for the customer', async () => {
    for (const customer of ['alice', 'bob'] as const) {
      const made = await provisionDepositAddress(db, { bridge: rig.adminBridge, admin: rig.admin, deviceId: rig.deviceId, chainId: CHAIN, customer, group: 'deposit' });
      assert.deepEqual([made.role, made.customer, made.keyGroup], ['deposit', customer, 'deposit']);
      const key = await rig.adminBridge.getKey(made.keyId!);
      assert.deepEqual([key.address.toLowerCase(), key.group], [made.address, 'deposit']);
      dep[customer] = made.address;
    }
    assert.notEqual(dep.alice, dep.bob);
    assert.equal(new Set([dep.alice, dep.bob, HOT]).size, 3);
  });

  test('ETH to both customers and the ERC-20 to one: Pending at inclusion, Available and Settled at finality', async () => {
    const a = await sendEth(dep.alice, parseEther('2'));
    const b = await sendEth(dep.bob, parseEther('3'));
    const t = await sendToken(dep.bob, parseEther('250'));

    const seen = await watcher.step();
    assert.deepEqual(
      seen.included.map((d) => [d.txHash, d.customer, d.asset, d.amount]),
      [
        [a, 'alice', NATIVE, parseEther('2')],
        [b, 'bob', NATIVE, parseEther('3')],
        [t, 'bob', TOKEN, parseEther('250')],
      ],
    );
    assert.equal(seen.finalized.length, 0, 'none is final yet');
    assert.deepEqual(await balance(customerAccount('alice', NATIVE)), amounts({ pending: parseEther('2') }));
    assert.deepEqual(await balance(customerAccount('bob', NATIVE)), amounts({ pending: parseEther('3') }));
    assert.deepEqual(await balance(customerAccount('bob', TOKEN)), amounts({ pending: parseEther('250') }));
    assert.deepEqual(await balance(custodyAccount(dep.bob, TOKEN)), amounts({ pending: -parseEther('250') }));

    await rig.mine(CONFIRMATIONS);
    const fin = await watcher.step();
    assert.deepEqual(fin.finalized.map((d) => d.txHash).sort(), [a, b, t].sort());
    assert.deepEqual(await balance(customerAccount('alice', NATIVE)), amounts({ available: parseEther('2') }));
    assert.deepEqual(await balance(customerAccount('bob', NATIVE)), amounts({ available: parseEther('3') }));
    assert.deepEqual(await balance(customerAccount('bob', TOKEN)), amounts({ available: parseEther('250') }));
    assert.deepEqual(await balance(custodyAccount(dep.alice, NATIVE)), amounts({ settled: -parseEther('2') }));
    assert.deepEqual(await balance(custodyAccount(dep.bob, NATIVE)), amounts({ settled: -parseEther('3') }));
    assert.deepEqual(await balance(custodyAccount(dep.bob, TOKEN)), amounts({ settled: -parseEther('250') }));
    assert.deepEqual(
      (await listDeposits(db, CHAIN)).map((d) => d.status),
      ['final', 'final', 'final'],
    );
  });

  test('a reorg removes a deposit before it is final: its inclusion is reversed exactly and it is never credited', async () => {
    const ancestor = await client().getBlockNumber({ cacheTime: 0 });
    const snap = await rig.rpc<string>('evm_snapshot');
    const gone = await sendEth(dep.alice, parseEther('1.5'));
    const seen = await watcher.step();
    assert.deepEqual(
      seen.included.map((d) => [d.txHash, d.amount]),
      [[gone, parseEther('1.5')]],
    );
    assert.deepEqual(await balance(customerAccount('alice', NATIVE)), amounts({ available: parseEther('2'), pending: parseEther('1.5') }));
    const inclusionId = seen.included[0]!.inclusionEntryId!;

    // The block is replaced by an empty one at the same height.
    assert.equal(await rig.rpc('evm_revert', [snap]), true);
    await rig.mine(1);
    const r = await watcher.step();
    assert.equal(r.reorg?.ancestor, ancestor);
    assert.deepEqual(
      r.removed.map((d) => [d.txHash, d.status]),
      [[gone, 'removed']],
    );
    const reversal = (await getEntry(db, r.removed[0]!.reversalEntryId!))!;
    const inclusion = (await getEntry(db, inclusionId))!;
    assert.equal(reversal.kind, 'reversal');
    assert.equal(reversal.reverses, inclusionId, 'the reversal references the inclusion');
    assert.equal(reversal.trace.traceId, inclusion.trace.traceId);
    assert.deepEqual(
      reversal.lines.map((l) => [l.accountId, l.state, l.amount]),
      inclusion.lines.map((l) => [l.accountId, l.state, -l.amount]),
    );
    assert.deepEqual(await balance(customerAccount('alice', NATIVE)), amounts({ available: parseEther('2') }), 'back to before the deposit');
    assert.deepEqual(await balance(custodyAccount(dep.alice, NATIVE)), amounts({ settled: -parseEther('2') }));
    assert.deepEqual((await checkReplay(db)).differences, []);

    // Past the depth where it would have been final: nothing is credited for it.
    await rig.mine(CONFIRMATIONS + 1);
    const later = await watcher.step();
    assert.deepEqual([later.included.length, later.finalized.length], [0, 0]);
    assert.deepEqual(await balance(customerAccount('alice', NATIVE)), amounts({ available: parseEther('2') }));
    assert.deepEqual(
      (await listDeposits(db, CHAIN)).map((d) => d.status),
      ['final', 'final', 'final', 'removed'],
    );
  });

  test("a sweep moves alice's deposit address's ETH to the hot address, signed by the appliance; the sweep entry is posted at finality", async () => {
    const sweep = await startSweep(ctx, { depositAddress: dep.alice, hotAddress: HOT });
    assert.equal(sweep.status, 'broadcast');
    assert.equal(sweep.amount, parseEther('2') - sweep.gasLimit * sweep.maxFeePerGas, 'the final balance less the worst-case fee');
    const receipt = await client().waitForTransactionReceipt({ hash: sweep.txHash as Hex, pollingInterval: 50 });
    assert.equal(receipt.status, 'success');
    // What anvil mined, parsed with viem: to the hot address, the amount, signed by the deposit key.
    const raw = (await db.query<{ raw_tx: string }>('SELECT raw_tx FROM ledger_sweeps WHERE id = $1', [sweep.id])).rows[0]!.raw_tx as Hex;
    const parsed = parseTransaction(raw);
    assert.deepEqual([parsed.type, parsed.to?.toLowerCase(), parsed.value, parsed.chainId], ['eip1559', HOT, sweep.amount, CHAIN_ID]);
    assert.equal((await recoverTransactionAddress({ serializedTransaction: raw as never })).toLowerCase(), dep.alice);
    assert.equal(receipt.from.toLowerCase(), dep.alice);

    // Mined, not final: nothing posted; the watcher credits nothing for an outflow.
    const step = await catchUp();
    assert.deepEqual([step.included.length, step.skipped.length], [0, 0]);
    assert.equal((await balance(custodyAccount(HOT, NATIVE))).settled, 0n);
    await rig.mine(CONFIRMATIONS);
    const posted = await settleSweeps(ctx);
    assert.equal(posted.length, 1);
    const fee = receipt.gasUsed * receipt.effectiveGasPrice;
    const entry = (await getEntry(db, posted[0]!.entry.id))!;
    assert.equal(entry.kind, 'sweep');
    assert.deepEqual(entry.trace, { traceId: `sweep-${sweep.id}`, bridgeRequestId: sweep.requestId, auditSeq: sweep.auditSeq });
    assert.deepEqual(Object.fromEntries(entry.lines.map((l) => [l.accountId, l.amount])), {
      [`custody/${dep.alice}/${NATIVE}`]: sweep.amount + fee,
      [`custody/${HOT}/${NATIVE}`]: -sweep.amount,
      [`fees/house/${NATIVE}`]: -fee,
    });
    assert.deepEqual(await settleSweeps(ctx), [], 'posted once');

    // The chain and the ledger agree; the customer's balance did not move.
    assert.equal(await ethOf(HOT), sweep.amount);
    assert.equal(await ethOf(dep.alice), parseEther('2') - sweep.amount - fee);
    assert.deepEqual(await balance(custodyAccount(HOT, NATIVE)), amounts({ settled: -sweep.amount }));
    assert.deepEqual(await balance(custodyAccount(dep.alice, NATIVE)), amounts({ settled: -(parseEther('2') - sweep.amount - fee) }));
    assert.deepEqual(await balance(feesAccount(NATIVE)), amounts({ settled: -fee }));
    assert.deepEqual(await balance(customerAccount('alice', NATIVE)), amounts({ available: parseEther('2') }));
    assert.deepEqual((await checkReplay(db)).differences, []);
  });

  test('reconciliation at the final block reports zero breaks, as JSON and as Markdown', async () => {
    await catchUp();
    const r = await reconcile(db, client(), cfg);
    assert.equal(r.block, (await client().getBlockNumber({ cacheTime: 0 })) - BigInt(CONFIRMATIONS));
    assert.equal(r.breakCount, 0);
    assert.equal(r.rows.length, 6, 'three custody addresses, ETH and the token each');
    const chainAt = async (address: string, asset: string) =>
      asset === NATIVE
        ? client().getBalance({ address: address as Hex, blockNumber: r.block })
        : client().readContract({ address: rig.tokenAddress, abi: erc20Abi, functionName: 'balanceOf', args: [address as Hex], blockNumber: r.block });
    for (const row of r.rows) {
      assert.deepEqual([row.status, row.difference, row.ledger], ['ok', 0n, row.chain], `${row.address} ${row.asset}`);
      assert.equal(row.chain, await chainAt(row.address, row.asset), `${row.address} ${row.asset} on chain at the block`);
    }
    const rowOf = (address: string, asset: string) => r.rows.find((x) => x.address === address && x.asset === asset)!;
    assert.equal(rowOf(dep.bob, NATIVE).chain, parseEther('3'));
    assert.equal(rowOf(dep.bob, TOKEN).chain, parseEther('250'));
    assert.equal(rowOf(dep.alice, TOKEN).chain, 0n);
    assert.equal(rowOf(HOT, NATIVE).chain, await ethOf(HOT));

    const json = reconciliationJson(r);
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json, 'plain JSON');
    assert.deepEqual([json.breakCount, json.rows.filter((x) => x.status === 'ok').length], [0, 6]);
    assert.equal(json.rows.find((x) => x.address === dep.bob && x.asset === TOKEN)!.chain, parseEther('250').toString());
    const md = reconciliationMarkdown(r);
    assert.match(md, /0 breaks/);
    assert.equal(md.split('\n').filter((l) => l.startsWith('| 0x')).length, 6);
    assert.match(md, new RegExp(`\\| ${dep.bob} \\| deposit \\(bob\\) \\| ${TOKEN} \\| ${parseEther('250')} \\| ${parseEther('250')} \\| 0 \\| ok \\|`));
    assert.deepEqual(await listEvents(db, 0, 100), []);
    assert.equal((await listExceptions(db, {})).items.length, 0);
  });

  test('an unknown transfer into the hot address makes exactly one break, in suspense, with one open exception and one event; a further run makes none', async () => {
    const hotLedgerBefore = (await balance(custodyAccount(HOT, NATIVE))).settled;
    await sendEth(HOT, parseEther('0.7'));
    await rig.mine(CONFIRMATIONS);
    const step = await catchUp();
    assert.equal(step.included.length, 0, 'the hot address is not a deposit address: nothing credited');
    const r = await reconcile(db, client(), cfg);
    assert.equal(r.breakCount, 1);
    const breaks = r.rows.filter((x) => x.status === 'break');
    assert.equal(breaks.length, 1);
    const row = breaks[0]!;
    assert.deepEqual([row.address, row.asset, row.difference, row.chain - row.ledger], [HOT, NATIVE, parseEther('0.7'), parseEther('0.7')]);
    assert.equal(row.exception?.kind, 'unknown_inflow');
    assert.deepEqual(await balance(suspenseAccount(NATIVE)), amounts({ settled: parseEther('0.7') }), 'the amount, in suspense');
    assert.equal((await balance(custodyAccount(HOT, NATIVE))).settled, hotLedgerBefore - parseEther('0.7'), 'the ledger matches the chain again');

    const open = (await listExceptions(db, { status: 'open' })).items;
    assert.equal(open.length, 1);
    assert.deepEqual(
      [open[0]!.id, open[0]!.kind, open[0]!.address, open[0]!.asset, open[0]!.amount, open[0]!.block, open[0]!.reconciliationId, open[0]!.entryId],
      [row.exception!.id, 'unknown_inflow', HOT, NATIVE, parseEther('0.7'), r.block, r.id, row.exception!.entryId],
    );
    const suspenseEntry = (await getEntry(db, row.exception!.entryId))!;
    assert.equal(suspenseEntry.kind, 'suspense.inflow');
    const events = await listEvents(db, 0, 100);
    assert.deepEqual(
      events.map((e) => [e.type, e.payload.exceptionId, e.payload.amount]),
      [['reconciliation.break', row.exception!.id, parseEther('0.7').toString()]],
    );
    assert.match(reconciliationMarkdown(r), /1 break\b/);

    await rig.mine(1);
    await catchUp();
    const again = await reconcile(db, client(), cfg);
    assert.ok(again.block > r.block);
    assert.equal(again.breakCount, 0);
    assert.equal((await listExceptions(db, { status: 'open' })).items.length, 1);
    assert.equal((await listEvents(db, 0, 100)).length, 1);
    assert.deepEqual(await balance(suspenseAccount(NATIVE)), amounts({ settled: parseEther('0.7') }));
    assert.equal(await tokenOf(HOT), 0n);
    assert.deepEqual((await checkReplay(db)).differences, []);
  });
});
