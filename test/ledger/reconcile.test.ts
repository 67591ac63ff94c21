// Reconciliation against a real anvil, on embedded PGlite and on a PostgreSQL server: custody addresses whose journal matches the chain give zero
// breaks (as JSON and as Markdown); in-flight items are listed and not counted; an unknown inflow, an
// outflow the ledger never saw and an ERC-20 inflow each make exactly one break, posted to suspense,
// with one exception and one event, and running again (at the same block, a later one, or twice at
// once) adds none; resolving an exception records who; replay still agrees after suspense postings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletClient, erc20Abi, http, parseEther, type Hex, type PublicClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { customerAccount, custodyAccount, suspenseAccount } from '../../ledger/accounts.js';
import { erc20Asset, nativeAsset } from '../../ledger/assets.js';
import { accountBalance } from '../../ledger/balances.js';
import { chainClient, type ChainConfig } from '../../ledger/chain.js';
import { registerCustodyAddress } from '../../ledger/custody-addresses.js';
import type { Db } from '../../ledger/db.js';
import { LedgerError } from '../../ledger/errors.js';
import { listEvents } from '../../ledger/events.js';
import { getException, listExceptions, resolveException } from '../../ledger/exceptions.js';
import { postEntry } from '../../ledger/journal.js';
import { postBreak } from '../../ledger/reconcile-break.js';
import { reconciliationJson, reconciliationMarkdown } from '../../ledger/reconcile-report.js';
import { reconcile } from '../../ledger/reconcile.js';
import { getReconciliation, latestReconciliation, listReconciliations } from '../../ledger/reconciliations.js';
import { checkReplay } from '../../ledger/replay.js';
import { startAnvil, anvilChain, type Anvil } from '../helpers/anvil.js';
import { describeEachBackend } from '../helpers/ledger-backends.js';
import { creditDepositFinality, creditDepositInclusion, creditFinalDeposit } from '../helpers/ledger-deposit.js';
import { compileFixture } from '../helpers/solidity.js';

const CHAIN = 31337n;
const ETH = nativeAsset(CHAIN);
describeEachBackend('reconciliation', (backend) => {
  const keys = { alice: generatePrivateKey(), bob: generatePrivateKey(), hot: generatePrivateKey() };
  const D1 = privateKeyToAccount(keys.alice).address.toLowerCase();
  const D2 = privateKeyToAccount(keys.bob).address.toLowerCase();
  const HOT = privateKeyToAccount(keys.hot).address.toLowerCase();

  let anvil: Anvil;
  let db: Db;
  let client: PublicClient;
  let cfg: ChainConfig;
  let token: string;
  let TST: string;

  async function waitFor(hash: Hex) {
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    assert.equal(receipt.status, 'success');
    return receipt;
  }
  const send = async (to: string, value: bigint) => waitFor(await anvil.funder.sendTransaction({ to: to as Hex, value, account: anvil.funder.account!, chain: anvil.funder.chain }));
  const sendToken = async (to: string, value: bigint) =>
    waitFor(
      await anvil.funder.writeContract({
        address: token as Hex,
        abi: erc20Abi,
        functionName: 'transfer',
        args: [to as Hex, value],
        account: anvil.funder.account!,
        chain: anvil.funder.chain,
      }),
    );
  const mine = (n: number) => anvil.publicClient.request({ method: 'anvil_mine' as never, params: [`0x${n.toString(16)}`] as never });

  const settled = async (ref: Parameters<typeof accountBalance>[1]) => (await accountBalance(db, ref))?.settled ?? 0n;
  const events = async (type?: string) => (await listEvents(db, 0, 1000)).filter((e) => type === undefined || e.type === type);
  const openExceptions = async () => (await listExceptions(db, { status: 'open', limit: 500 })).items;

  before(async () => {
    anvil = await startAnvil();
    db = await backend.open();
    const compiled = compileFixture('TestToken.sol', 'TestToken');
    const hash = await anvil.funder.deployContract({
      abi: compiled.abi,
      bytecode: compiled.bytecode,
      args: [anvil.funder.account!.address, parseEther('1000000')],
      account: anvil.funder.account!,
      chain: anvil.funder.chain,
    });
    token = (await waitFor(hash)).contractAddress!.toLowerCase();
    TST = erc20Asset(CHAIN, token);
    cfg = { chainId: CHAIN, rpcUrl: anvil.rpcUrl, finality: { confirmations: 2 }, tokens: [token] };
    client = chainClient(cfg);
    await registerCustodyAddress(db, { chainId: CHAIN, address: D1, role: 'deposit', customer: 'alice' });
    await registerCustodyAddress(db, { chainId: CHAIN, address: D2, role: 'deposit', customer: 'bob' });
    await registerCustodyAddress(db, { chainId: CHAIN, address: HOT, role: 'hot', keyGroup: 'hot' });
  });
  after(async () => {
    await db?.close();
    await anvil?.stop();
  });

  test('custody addresses whose journal matches the chain: zero breaks, as JSON and as Markdown', async () => {
    await send(D1, parseEther('5'));
    await creditFinalDeposit(db, { customer: 'alice', custody: D1, asset: ETH, amount: parseEther('5'), key: 'dep-a1' });
    await send(D2, parseEther('3'));
    await creditFinalDeposit(db, { customer: 'bob', custody: D2, asset: ETH, amount: parseEther('3'), key: 'dep-b1' });
    await sendToken(D2, parseEther('100'));
    await creditFinalDeposit(db, { customer: 'bob', custody: D2, asset: TST, amount: parseEther('100'), key: 'dep-b2' });
    await mine(2);

    const r = await reconcile(db, client, cfg);
    assert.equal(r.block, (await anvil.publicClient.getBlockNumber({ cacheTime: 0 })) - 2n, 'the final block under 2 confirmations');
    assert.equal(r.breakCount, 0);
    assert.equal(r.rows.length, 6, 'three addresses, ETH and the token each');
    assert.ok(r.rows.every((row) => row.status === 'ok' && row.difference === 0n && row.chain === row.ledger));
    const d2Token = r.rows.find((row) => row.address === D2 && row.asset === TST);
    assert.equal(d2Token?.chain, parseEther('100'));
    assert.equal(r.rows.find((row) => row.address === D1 && row.asset === ETH)?.ledger, parseEther('5'));
    assert.deepEqual(await events(), [], 'no break, no event');

    assert.deepEqual(await getReconciliation(db, r.id), r, 'the run is stored as returned');
    assert.deepEqual(await latestReconciliation(db, CHAIN), r);
    const json = reconciliationJson(r);
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json, 'plain JSON, amounts as strings');
    assert.equal(json.rows.find((row) => row.address === D1 && row.asset === ETH)?.chain, parseEther('5').toString());
    const md = reconciliationMarkdown(r);
    assert.match(md, new RegExp(`^# Reconciliation ${r.id}: chain 31337 at block ${r.block}`));
    assert.match(md, /0 breaks/);
    assert.match(md, new RegExp(`\\| ${D2} \\| deposit \\(bob\\) \\| ${TST} \\| ${parseEther('100')} \\| ${parseEther('100')} \\| 0 \\| ok \\|`));
    assert.equal(md.split('\n').filter((l) => l.startsWith('| 0x')).length, 6);
  });

  test('in-flight items are listed beside their rows and not counted as breaks', async () => {
    // Alice asks to withdraw (Reserved); a deposit to bob is on chain but not final, its inclusion posted.
    await postEntry(db, {
      kind: 'withdrawal.request',
      idempotencyKey: 'wd-a1:req',
      trace: { traceId: 'wd-a1' },
      lines: [
        { account: customerAccount('alice', ETH), state: 'available', amount: -parseEther('1') },
        { account: customerAccount('alice', ETH), state: 'reserved', amount: parseEther('1') },
      ],
    });
    await send(D2, parseEther('2'));
    const bobPending = { customer: 'bob', custody: D2, asset: ETH, amount: parseEther('2'), key: 'dep-b3' };
    await creditDepositInclusion(db, bobPending);

    const r = await reconcile(db, client, cfg);
    assert.equal(r.breakCount, 0, 'the deposit is above the final block and only Pending in the ledger');
    const d2 = r.rows.find((row) => row.address === D2 && row.asset === ETH)!;
    assert.equal(d2.chain, parseEther('3'));
    assert.deepEqual(d2.pending, [
      { accountId: `custody/${D2}/${ETH}`, state: 'pending', amount: -parseEther('2') },
      { accountId: `customer/bob/${ETH}`, state: 'pending', amount: parseEther('2') },
    ]);
    const hot = r.rows.find((row) => row.address === HOT && row.asset === ETH)!;
    assert.deepEqual(hot.pending, [
      { accountId: `customer/alice/${ETH}`, state: 'reserved', amount: parseEther('1') },
      { accountId: `customer/bob/${ETH}`, state: 'pending', amount: parseEther('2') },
    ]);
    assert.deepEqual(r.rows.find((row) => row.address === D1 && row.asset === ETH)!.pending, [{ accountId: `customer/alice/${ETH}`, state: 'reserved', amount: parseEther('1') }]);
    assert.match(reconciliationMarkdown(r), new RegExp(`custody/${D2}/${ETH} pending -${parseEther('2')}`));

    // Finality reached and posted first (as the service runs the watcher before reconciling): still none.
    await mine(2);
    await creditDepositFinality(db, bobPending);
    const later = await reconcile(db, client, cfg);
    assert.equal(later.breakCount, 0);
    assert.equal(later.rows.find((row) => row.address === D2 && row.asset === ETH)!.chain, parseEther('5'));
  });

  test('an unknown transfer into a custody address: one break, in suspense, one exception, one event; running again adds none', async () => {
    await send(HOT, parseEther('0.7'));
    await mine(2);
    const r = await reconcile(db, client, cfg);
    assert.equal(r.breakCount, 1);
    const row = r.rows.find((x) => x.status === 'break')!;
    assert.equal(row.address, HOT);
    assert.equal(row.asset, ETH);
    assert.equal(row.chain, parseEther('0.7'));
    assert.equal(row.ledger, 0n);
    assert.equal(row.difference, parseEther('0.7'));
    assert.equal(row.exception?.kind, 'unknown_inflow');

    assert.equal(await settled(suspenseAccount(ETH)), parseEther('0.7'));
    assert.equal(await settled(custodyAccount(HOT, ETH)), -parseEther('0.7'), 'the ledger now matches the chain');
    const open = await openExceptions();
    assert.equal(open.length, 1);
    assert.deepEqual(
      {
        id: open[0]!.id,
        kind: open[0]!.kind,
        address: open[0]!.address,
        asset: open[0]!.asset,
        amount: open[0]!.amount,
        block: open[0]!.block,
        run: open[0]!.reconciliationId,
        entry: open[0]!.entryId,
      },
      { id: row.exception!.id, kind: 'unknown_inflow', address: HOT, asset: ETH, amount: parseEther('0.7'), block: r.block, run: r.id, entry: row.exception!.entryId },
    );
    const ev = await events();
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.type, 'reconciliation.break');
    assert.equal(ev[0]!.payload.exceptionId, row.exception!.id);
    assert.equal(ev[0]!.payload.amount, parseEther('0.7').toString());

    const again = await reconcile(db, client, cfg, { block: r.block });
    assert.equal(again.breakCount, 0, 'the same block again');
    await mine(3);
    const later = await reconcile(db, client, cfg);
    assert.ok(later.block > r.block);
    assert.equal(later.breakCount, 0, 'a later block');
    assert.equal((await openExceptions()).length, 1);
    assert.equal((await events()).length, 1);
  });

  test('the suspense posting is idempotent by its chain, block, address and asset', async () => {
    const r = (await latestReconciliation(db, CHAIN))!;
    const first = (await listExceptions(db, { kind: 'unknown_inflow' })).items[0]!;
    const entries = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_entries')).rows[0]!.n;
    const before = await entries();
    // The very break of the earlier run found again (same block, same ledger figure): the same entry and exception.
    const again = await db.transaction((tx) =>
      postBreak(tx, { chainId: CHAIN, block: first.block, address: HOT, asset: ETH, ledger: 0n, difference: parseEther('0.7'), reconciliationId: r.id, at: new Date() }),
    );
    assert.equal(again.id, first.id);
    assert.equal(again.entryId, first.entryId);
    assert.equal((await listReconciliations(db, { chainId: CHAIN })).find((x) => x.id === first.reconciliationId)?.breakCount, 1, 'the stored run is unchanged');
    assert.equal(await entries(), before);
    assert.equal((await events()).length, 1);
  });

  test('an outflow the ledger never saw is a missing_outflow break; two runs at once still make one', async () => {
    const alice = createWalletClient({ chain: { ...anvilChain, rpcUrls: { default: { http: [anvil.rpcUrl] } } }, transport: http(anvil.rpcUrl), account: privateKeyToAccount(keys.alice) });
    const receipt = await waitFor(await alice.sendTransaction({ to: ('0x' + '77'.repeat(20)) as Hex, value: parseEther('1') }));
    const fee = receipt.gasUsed * receipt.effectiveGasPrice;
    await mine(2);

    const [a, b] = await Promise.all([reconcile(db, client, cfg), reconcile(db, client, cfg)]);
    assert.equal(a.breakCount + b.breakCount, 1, 'the second run finds the ledger corrected by the first');
    const row = [...a.rows, ...b.rows].find((x) => x.status === 'break')!;
    assert.equal(row.address, D1);
    assert.equal(row.difference, -(parseEther('1') + fee));
    assert.equal(row.exception?.kind, 'missing_outflow');
    assert.equal(row.chain, parseEther('4') - fee);
    const missing = (await listExceptions(db, { kind: 'missing_outflow' })).items;
    assert.equal(missing.length, 1);
    assert.equal(missing[0]!.amount, parseEther('1') + fee);
    assert.equal(await settled(suspenseAccount(ETH)), parseEther('0.7') - parseEther('1') - fee, 'suspense may go negative: value lost until explained');
    assert.equal(await settled(custodyAccount(D1, ETH)), -(parseEther('4') - fee));
    assert.equal((await events('reconciliation.break')).length, 2);
  });

  test('an ERC-20 transfer the ledger does not know is a break in the token', async () => {
    const ethSuspense = await settled(suspenseAccount(ETH));
    await sendToken(HOT, parseEther('5'));
    await mine(2);
    const r = await reconcile(db, client, cfg);
    assert.equal(r.breakCount, 1);
    const row = r.rows.find((x) => x.status === 'break')!;
    assert.deepEqual([row.address, row.asset, row.difference, row.exception?.kind], [HOT, TST, parseEther('5'), 'unknown_inflow']);
    assert.equal(await settled(suspenseAccount(TST)), parseEther('5'));
    assert.equal(await settled(suspenseAccount(ETH)), ethSuspense, 'the native suspense is untouched');
    assert.match(reconciliationMarkdown(r), /1 break\./);
    assert.match(reconciliationMarkdown(r), new RegExp(`\\*\\*break\\*\\*: unknown_inflow, exception ${row.exception!.id}`));
    assert.equal((await reconcile(db, client, cfg)).breakCount, 0);
  });

  test('the exception queue: filters, pages, and resolving records who; twice is refused', async () => {
    const all = await listExceptions(db);
    assert.equal(all.items.length, 3);
    assert.equal(all.nextAfterId, null);
    const page1 = await listExceptions(db, { limit: 2 });
    assert.equal(page1.items.length, 2);
    const page2 = await listExceptions(db, { limit: 2, afterId: page1.nextAfterId! });
    assert.deepEqual([...page1.items, ...page2.items], all.items);
    assert.equal(page2.nextAfterId, null);
    assert.deepEqual(
      (await listExceptions(db, { asset: TST })).items.map((e) => e.kind),
      ['unknown_inflow'],
    );
    assert.equal((await listExceptions(db, { address: D1.toUpperCase().replace('0X', '0x') })).items.length, 1);

    const target = all.items[0]!;
    const at = new Date('2026-12-02T03:00:00Z');
    const done = await resolveException(db, target.id, 'ops:carol', 'sent by a known counterparty by mistake; refund filed', at);
    assert.equal(done.status, 'resolved');
    assert.equal(done.resolvedBy, 'ops:carol');
    assert.equal(done.resolvedAt, at.toISOString());
    assert.deepEqual(await getException(db, target.id), done);
    const ev = await events('exception.resolved');
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.payload.resolvedBy, 'ops:carol');

    await assert.rejects(
      resolveException(db, target.id, 'ops:dave', 'again'),
      (err: unknown) => err instanceof LedgerError && err.code === 'already_resolved' && err.details?.resolvedBy === 'ops:carol',
    );
    assert.equal((await getException(db, target.id))?.resolvedBy, 'ops:carol', 'the first resolution stands');
    await assert.rejects(resolveException(db, 999_999, 'ops:dave', 'x'), (err: unknown) => err instanceof LedgerError && err.code === 'not_found');
    await assert.rejects(resolveException(db, all.items[1]!.id, '', 'x'), (err: unknown) => err instanceof LedgerError && err.code === 'bad_entry');
    assert.equal((await listExceptions(db, { status: 'open' })).items.length, 2);
    assert.equal((await listExceptions(db, { status: 'resolved' })).items.length, 1);

    const ids = (await listEvents(db, 0, 1000)).map((e) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((x, y) => x - y),
      'event ids increase',
    );
    assert.deepEqual(
      (await listEvents(db, ids[1]!, 10)).map((e) => e.id),
      ids.slice(2),
      'listing after an id',
    );
  });

  test('replay from empty still reproduces every balance after the suspense postings', async () => {
    const check = await checkReplay(db);
    assert.deepEqual(check.differences, []);
    const kinds = (await db.query<{ kind: string }>("SELECT kind FROM ledger_entries WHERE kind LIKE 'suspense.%' ORDER BY id")).rows.map((r) => r.kind);
    assert.deepEqual(kinds, ['suspense.inflow', 'suspense.outflow', 'suspense.inflow']);
  });

  test('no reconciliation at a block that is not final: a chain shorter than the depth, or a block above the final one', async () => {
    const runs = (await listReconciliations(db, { limit: 500 })).length;
    await assert.rejects(reconcile(db, client, { ...cfg, finality: { confirmations: 1_000_000 } }), (err: unknown) => err instanceof LedgerError && err.code === 'not_final');
    const latest = await anvil.publicClient.getBlockNumber({ cacheTime: 0 });
    await assert.rejects(reconcile(db, client, cfg, { block: latest }), (err: unknown) => err instanceof LedgerError && err.code === 'not_final', 'latest is two blocks above final');
    assert.equal((await reconcile(db, client, cfg, { block: latest - 2n })).block, latest - 2n, 'the final block itself is fine');
    assert.equal((await listReconciliations(db, { limit: 500 })).length, runs + 1, 'a refused run stores nothing');
  });

  test('a watched token with no code at the block (deployed later) holds nothing there', async () => {
    const later = '0x' + '5a'.repeat(20);
    const r = await reconcile(db, client, { ...cfg, tokens: [token, later] });
    const rows = r.rows.filter((x) => x.asset === erc20Asset(CHAIN, later));
    assert.equal(rows.length, 3);
    assert.ok(rows.every((x) => x.chain === 0n && x.ledger === 0n && x.status === 'ok'));
    assert.equal(r.breakCount, 0);
  });
});
