// Sweeps from deposit addresses (issue 13 item 3) through the real bridge over HTTP, the appliance
// process on its SoftHSM2 token, and anvil: a policy with a hot group and a deposit group; a policy
// change (stricter: at once after the admin quorum) makes the deposit group a sweep group whose sweepTo
// is the hot key's address; the custody service provisions a customer's deposit address through the
// bridge (POST /v1/keys with the admin's stamp), the customer's deposit is credited, the service sweeps
// (stamped with its own request key), anvil mines the signed transfer, and once its block is final the
// `sweep` entry is posted with the expected balances on the ledger and on chain. The deposit key asked
// to send anywhere else (another address, an approve call) is denied with `sweep_only` and audited.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, erc20Abi, parseEther, parseTransaction, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { CHAIN_ID, ETH } from '../helpers/test-device.js';
import type { Anvil } from '../helpers/anvil.js';
import { FEE_CAP, startLedgerAppliance, type LedgerAppliance } from '../helpers/ledger-appliance.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import type { Db } from '../../ledger/db.js';
import { BridgeError } from '../../ledger/bridge-client.js';
import { provisionDepositAddress } from '../../ledger/deposit-addresses.js';
import { registerCustodyAddress, findCustodyAddress } from '../../ledger/custody-addresses.js';
import { custodyAccount, customerAccount, feesAccount, openAccount } from '../../ledger/accounts.js';
import { accountBalance } from '../../ledger/balances.js';
import { postEntry, getEntry } from '../../ledger/journal.js';
import { erc20Asset, nativeAsset } from '../../ledger/assets.js';
import { recordSweep, resumeSweeps, settleSweeps, startSweep, getSweep, type SweepContext } from '../../ledger/sweep.js';
import { stampSignRequest } from '../../ledger/request-stamps.js';
import { LedgerError } from '../../ledger/errors.js';
import { checkReplay } from '../../ledger/replay.js';

const attacker = privateKeyToAccount(generatePrivateKey()).address;
const CONFIRMATIONS = 2;
const ASSET = nativeAsset(CHAIN_ID);

let rig: LedgerAppliance;
let anvil: Anvil;
let db: Db;
let hotAddress: string;
let tokenAddress: Hex;
let ctx: SweepContext;
const mine = (blocks: number) => rig.mine(blocks);

describe('sweeps: deposit addresses made by the appliance, swept to the hot address, posted at finality', () => {
  before(async () => {
    rig = await startLedgerAppliance();
    ({ anvil, hotAddress, tokenAddress } = rig);
    db = await openLedgerDb();
    await registerCustodyAddress(db, { chainId: BigInt(CHAIN_ID), address: hotAddress, role: 'hot', keyId: rig.hotKeyId, keyGroup: 'hot' });
    ctx = rig.sweepContext(db, { confirmations: CONFIRMATIONS });
  });
  after(async () => {
    await db?.close();
    await rig?.stop();
  });
  let deposit: string;
  let depositKeyId: string;

  test("a customer's deposit address is a key the appliance generates in the deposit group, registered for the customer", async () => {
    const made = await provisionDepositAddress(db, {
      bridge: rig.adminBridge,
      admin: rig.admin,
      deviceId: ctx.deviceId,
      chainId: BigInt(CHAIN_ID),
      customer: 'carol-customer',
      group: 'deposit',
    });
    deposit = made.address;
    depositKeyId = made.keyId!;
    assert.equal(made.role, 'deposit');
    assert.equal(made.keyGroup, 'deposit');
    assert.deepEqual(await findCustodyAddress(db, BigInt(CHAIN_ID), deposit), made);
    // The custody service's own requester token cannot make keys: the bridge's refusal, typed.
    await assert.rejects(
      rig.custodyBridge.generateKey({ label: 'x', group: 'deposit' }),
      (e: unknown) => e instanceof BridgeError && e.status === 403 && e.code === 'forbidden' && e.details?.code === 'scope_missing',
    );
    const key = await rig.adminBridge.getKey(depositKeyId);
    assert.equal(key.address.toLowerCase(), deposit);
    assert.equal(key.group, 'deposit');
  });

  test('the funded deposit address is swept to the hot address; the sweep entry is posted only once its block is final', async () => {
    const funded = parseEther('1');
    const h = await anvil.funder.sendTransaction({ to: deposit as Hex, value: funded, account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    // The chain watcher's postings for that deposit (another helper's module), made here by hand.
    const customer = customerAccount('carol-customer', ASSET);
    const depAcct = custodyAccount(deposit, ASSET);
    for (const a of [customer, depAcct]) await openAccount(db, a);
    await postEntry(db, {
      kind: 'deposit.inclusion',
      idempotencyKey: `dep:${h}:inc`,
      trace: { traceId: h },
      lines: [
        { account: customer, state: 'pending', amount: funded },
        { account: depAcct, state: 'pending', amount: -funded },
      ],
    });
    await postEntry(db, {
      kind: 'deposit.finality',
      idempotencyKey: `dep:${h}:fin`,
      trace: { traceId: h },
      lines: [
        { account: customer, state: 'pending', amount: -funded },
        { account: customer, state: 'available', amount: funded },
        { account: depAcct, state: 'pending', amount: funded },
        { account: depAcct, state: 'settled', amount: -funded },
      ],
    });

    // Before the deposit's block is final there is nothing to sweep.
    await assert.rejects(startSweep(ctx, { depositAddress: deposit, hotAddress }), (e: unknown) => e instanceof LedgerError && e.code === 'nothing_to_sweep');
    await mine(CONFIRMATIONS);
    const hotBefore = await anvil.publicClient.getBalance({ address: hotAddress as Hex });

    const sweep = await startSweep(ctx, { depositAddress: deposit, hotAddress });
    assert.equal(
      sweep.status,
      'broadcast',
      JSON.stringify(sweep, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    assert.ok(sweep.amount > 0n && sweep.amount === funded - sweep.gasLimit * sweep.maxFeePerGas);
    assert.ok(sweep.gasLimit * sweep.maxFeePerGas <= FEE_CAP.maxFeeWei, 'within the fee cap');
    // What anvil mined is the signed sweep: to the hot address, the amount asked, from the deposit key.
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash: sweep.txHash as Hex });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.from.toLowerCase(), deposit);
    const raw = (await db.query<{ raw_tx: string }>('SELECT raw_tx FROM ledger_sweeps WHERE id = $1', [sweep.id])).rows[0]!.raw_tx as Hex;
    const parsed = parseTransaction(raw);
    assert.deepEqual([parsed.to?.toLowerCase(), parsed.value, parsed.type], [hotAddress, sweep.amount, 'eip1559']);
    // A second sweep of the same address while this one is in flight is refused.
    await assert.rejects(startSweep(ctx, { depositAddress: deposit, hotAddress }), (e: unknown) => e instanceof LedgerError && e.code === 'sweep_in_flight');

    // Included, not final: nothing is posted yet.
    assert.deepEqual(await settleSweeps(ctx), []);
    assert.equal((await getSweep(db, sweep.id))!.status, 'broadcast');
    await mine(CONFIRMATIONS);
    const posted = await settleSweeps(ctx);
    assert.equal(posted.length, 1);
    const fee = receipt.gasUsed * receipt.effectiveGasPrice;
    const entry = (await getEntry(db, posted[0]!.entry.id))!;
    assert.equal(entry.kind, 'sweep');
    assert.deepEqual(entry.trace, { traceId: `sweep-${sweep.id}`, bridgeRequestId: sweep.requestId, auditSeq: sweep.auditSeq });
    const byAccount = Object.fromEntries(entry.lines.map((l) => [l.accountId, l.amount]));
    assert.deepEqual(byAccount, {
      [`custody/${deposit}/${ASSET}`]: sweep.amount + fee,
      [`custody/${hotAddress}/${ASSET}`]: -sweep.amount,
      [`fees/house/${ASSET}`]: -fee,
    });
    const after = (await getSweep(db, sweep.id))!;
    assert.deepEqual([after.status, after.fee, after.entryId, after.blockNumber], ['settled', fee, entry.id, receipt.blockNumber]);
    // Settling again posts nothing more.
    assert.deepEqual(await settleSweeps(ctx), []);

    // The ledger's custody balances mirror the chain; the customer still has the full deposit.
    const onChainDeposit = await anvil.publicClient.getBalance({ address: deposit as Hex });
    const onChainHot = await anvil.publicClient.getBalance({ address: hotAddress as Hex });
    assert.equal(onChainDeposit, funded - sweep.amount - fee);
    assert.equal(onChainHot - hotBefore, sweep.amount);
    assert.equal((await accountBalance(db, depAcct))!.settled, -onChainDeposit);
    assert.equal((await accountBalance(db, custodyAccount(hotAddress, ASSET)))!.settled, -sweep.amount);
    assert.equal((await accountBalance(db, feesAccount(ASSET)))!.settled, -fee);
    assert.equal((await accountBalance(db, customer))!.available, funded);
    assert.deepEqual((await checkReplay(db)).differences, []);
  });

  test('a sweep the service recorded but never asked for is asked on resume; asked again after its broadcast, the same transaction is sent once', async () => {
    const h = await anvil.funder.sendTransaction({ to: deposit as Hex, value: parseEther('0.5'), account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    await mine(CONFIRMATIONS);
    const nonceBefore = await anvil.publicClient.getTransactionCount({ address: deposit as Hex });
    // The service stopped right after recording the sweep.
    const recorded = await recordSweep(ctx, { depositAddress: deposit, hotAddress });
    assert.equal(recorded.status, 'signing');
    const [resumed] = await resumeSweeps(ctx);
    assert.equal(resumed!.status, 'broadcast');
    await anvil.publicClient.waitForTransactionReceipt({ hash: resumed!.txHash as Hex });
    // As if it had stopped after the broadcast but before recording it: the row is back in `signing`.
    await db.query('UPDATE ledger_sweeps SET status = $2, tx_hash = NULL, raw_tx = NULL WHERE id = $1', [recorded.id, 'signing']);
    const [again] = await resumeSweeps(ctx);
    assert.deepEqual([again!.status, again!.txHash, again!.auditSeq], ['broadcast', resumed!.txHash, resumed!.auditSeq], 'the stored answer: the same signed transaction');
    assert.equal(await anvil.publicClient.getTransactionCount({ address: deposit as Hex }), nonceBefore + 1, 'one transaction at that nonce');
    await mine(CONFIRMATIONS);
    const posted = await settleSweeps(ctx);
    assert.equal(posted.length, 1);
    assert.deepEqual((await checkReplay(db)).differences, []);
    const onChainDeposit = await anvil.publicClient.getBalance({ address: deposit as Hex });
    assert.equal(
      (await accountBalance(db, custodyAccount(deposit, ASSET)))!.settled,
      -(onChainDeposit - parseEther('0.5')),
      'the second deposit was not credited by hand: the ledger is off by exactly it',
    );
  });

  test("an ERC-20 deposit is swept with the address's own gas: the token moves to the hot address, the fee is paid in ETH", async () => {
    const TOKEN = erc20Asset(CHAIN_ID, tokenAddress);
    const amount = 250n * ETH;
    const h = await anvil.funder.writeContract({
      address: tokenAddress,
      abi: erc20Abi,
      functionName: 'transfer',
      args: [deposit as Hex, amount],
      account: anvil.funder.account!,
      chain: anvil.funder.chain,
    });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    const customer = customerAccount('carol-customer', TOKEN);
    const depToken = custodyAccount(deposit, TOKEN);
    for (const a of [customer, depToken]) await openAccount(db, a);
    await postEntry(db, {
      kind: 'deposit.inclusion',
      idempotencyKey: `dep:${h}:inc`,
      trace: { traceId: h },
      lines: [
        { account: customer, state: 'pending', amount },
        { account: depToken, state: 'pending', amount: -amount },
      ],
    });
    await postEntry(db, {
      kind: 'deposit.finality',
      idempotencyKey: `dep:${h}:fin`,
      trace: { traceId: h },
      lines: [
        { account: customer, state: 'pending', amount: -amount },
        { account: customer, state: 'available', amount },
        { account: depToken, state: 'pending', amount },
        { account: depToken, state: 'settled', amount: -amount },
      ],
    });
    await mine(CONFIRMATIONS);
    // The earlier sweeps left only dust of ETH: not enough gas for a token transfer.
    await assert.rejects(startSweep(ctx, { depositAddress: deposit, hotAddress, token: tokenAddress }), (e: unknown) => e instanceof LedgerError && e.code === 'needs_gas');
    const gas = await anvil.funder.sendTransaction({ to: deposit as Hex, value: parseEther('0.01'), account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: gas });
    const ethBefore = await anvil.publicClient.getBalance({ address: deposit as Hex });
    const ledgerEthBefore = (await accountBalance(db, custodyAccount(deposit, ASSET)))!.settled;
    const feesBefore = (await accountBalance(db, feesAccount(ASSET)))!.settled;

    const sweep = await startSweep(ctx, { depositAddress: deposit, hotAddress, token: tokenAddress });
    assert.deepEqual([sweep.status, sweep.asset, sweep.amount], ['broadcast', TOKEN, amount]);
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash: sweep.txHash as Hex });
    assert.equal(receipt.status, 'success');
    const raw = (await db.query<{ raw_tx: string }>('SELECT raw_tx FROM ledger_sweeps WHERE id = $1', [sweep.id])).rows[0]!.raw_tx as Hex;
    assert.equal(parseTransaction(raw).to?.toLowerCase(), tokenAddress.toLowerCase());
    await mine(CONFIRMATIONS);
    const [posted] = await settleSweeps(ctx);
    const fee = receipt.gasUsed * receipt.effectiveGasPrice;
    const entry = (await getEntry(db, posted!.entry.id))!;
    assert.deepEqual(Object.fromEntries(entry.lines.map((l) => [l.accountId, l.amount])), {
      [`custody/${deposit}/${TOKEN}`]: amount,
      [`custody/${hotAddress}/${TOKEN}`]: -amount,
      [`custody/${deposit}/${ASSET}`]: fee,
      [`fees/house/${ASSET}`]: -fee,
    });
    const balanceOf = (address: string) => anvil.publicClient.readContract({ address: tokenAddress, abi: erc20Abi, functionName: 'balanceOf', args: [address as Hex] });
    assert.deepEqual([await balanceOf(deposit), await balanceOf(hotAddress)], [0n, amount]);
    assert.equal((await accountBalance(db, depToken))!.settled, 0n, 'the deposit address holds no token, on chain and in the ledger');
    assert.equal((await accountBalance(db, custodyAccount(hotAddress, TOKEN)))!.settled, -amount);
    assert.equal(ethBefore - (await anvil.publicClient.getBalance({ address: deposit as Hex })), fee);
    assert.equal((await accountBalance(db, custodyAccount(deposit, ASSET)))!.settled - ledgerEthBefore, fee);
    assert.equal((await accountBalance(db, feesAccount(ASSET)))!.settled - feesBefore, -fee);
    assert.equal((await accountBalance(db, customer))!.available, amount);
    assert.deepEqual((await checkReplay(db)).differences, []);
  });

  test('the deposit key asked to pay another address, or to approve a spender, is denied with sweep_only and audited', async () => {
    const nonce = await anvil.publicClient.getTransactionCount({ address: deposit as Hex });
    const asks: [string, Record<string, unknown>][] = [
      ['another address', { type: 'eip1559', chainId: CHAIN_ID, nonce, to: attacker, value: '1000', gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' }],
      [
        'an approve call',
        {
          type: 'eip1559',
          chainId: CHAIN_ID,
          nonce,
          to: attacker,
          value: '0',
          data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [attacker, 10n ** 18n] }),
          gasLimit: 60000,
          maxFeePerGas: '2000000000',
          maxPriorityFeePerGas: '1',
        },
      ],
    ];
    for (const [name, transaction] of asks) {
      const requestId = `sweep-attack-${name.replace(/ /g, '-')}`;
      const body: Record<string, unknown> = { keyId: depositKeyId, transaction };
      body.stamp = await stampSignRequest(ctx.deviceId, rig.custody, body, requestId);
      const answer = await rig.custodyBridge.signEvmTransaction(body, requestId);
      assert.equal(answer.status, 'denied', name);
      // (an approve of a token the group does not hold is also asset_not_allowed)
      const codes = (answer.reasons ?? []).map((r) => r.code);
      assert.ok(codes.includes('sweep_only'), `${name}: ${codes.join(',')}`);
      const e = await rig.auditEntry(answer.auditSeq);
      assert.deepEqual([e.kind, e.outcome, e.keyId, e.requesterProof], ['sign.evm-tx', 'deny', depositKeyId, 'verified'], name);
      assert.ok(JSON.stringify(e.reasons ?? e).includes('sweep_only'), `${name}: the audit entry names the reason`);
    }
  });
});
