// A deposit to an xpub-derived address, credited and swept (issue 18 item 2), through the real bridge
// over HTTP, the appliance process on its SoftHSM2 token, and anvil, under the sweep policy of
// test/helpers/ledger-appliance.ts (requireSignedProposals: the admin stamps hd.create and hd.derive).
// The ledger registers m/44'/60'/0'/0/i from the account xpub with no appliance call; the customer's
// deposit is credited; before sweeping, the key is derived into the token at that path (checked to be
// the registered address); the sweep is signed by it, mined, and posted once final. The derived deposit
// key is held by the deposit group's policy like any deposit key: paying anyone else is denied.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseEther, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { CHAIN_ID } from '../helpers/test-device.js';
import type { Anvil } from '../helpers/anvil.js';
import { startLedgerAppliance, type LedgerAppliance } from '../helpers/ledger-appliance.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import type { Db } from '../../ledger/db.js';
import { registerCustodyAddress } from '../../ledger/custody-addresses.js';
import { custodyAccount, customerAccount, openAccount } from '../../ledger/accounts.js';
import { accountBalance } from '../../ledger/balances.js';
import { postEntry, getEntry } from '../../ledger/journal.js';
import { nativeAsset } from '../../ledger/assets.js';
import { settleSweeps, startSweep, type SweepContext } from '../../ledger/sweep.js';
import { stampHdCreate, stampSignRequest } from '../../ledger/request-stamps.js';
import { ensureDepositKey, registerXpubDepositAddress } from '../../ledger/xpub-deposit-addresses.js';
import { checkReplay } from '../../ledger/replay.js';

const CONFIRMATIONS = 2;
const ASSET = nativeAsset(CHAIN_ID);

let rig: LedgerAppliance;
let anvil: Anvil;
let db: Db;
let hotAddress: string;
let ctx: SweepContext;

describe('sweeps at a derived path: a deposit to an xpub-derived address is credited and swept', () => {
  before(async () => {
    rig = await startLedgerAppliance();
    ({ anvil, hotAddress } = rig);
    db = await openLedgerDb();
    await registerCustodyAddress(db, { chainId: BigInt(CHAIN_ID), address: hotAddress, role: 'hot', keyId: rig.hotKeyId, keyGroup: 'hot' });
    ctx = rig.sweepContext(db, { confirmations: CONFIRMATIONS });
  });
  after(async () => {
    await db?.close();
    await rig?.stop();
  });

  test('registered from the xpub, funded, credited, the key derived into the token, swept and posted at finality', async () => {
    const createBody: Record<string, unknown> = { label: 'deposits', requestId: 'hd-create-1' };
    createBody.stamp = await stampHdCreate(ctx.deviceId, rig.admin, createBody);
    const walletId = await rig.adminBridge.createHdWallet(createBody as { label: string });
    const xpub = await rig.adminBridge.hdAccountXpub(walletId, 0);
    const registered = await registerXpubDepositAddress(db, { chainId: BigInt(CHAIN_ID), customer: 'dora', walletId, xpub, account: 0, index: 5, group: 'deposit' });
    const deposit = registered.address;
    // Nothing of that address is in the device yet.
    await assert.rejects(rig.adminBridge.getKey(registered.keyId!), (e: unknown) => (e as { status?: number }).status === 404);

    const funded = parseEther('1');
    const h = await anvil.funder.sendTransaction({ to: deposit as Hex, value: funded, account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    // The chain watcher's postings for that deposit, made here by hand as in ledger-sweep.test.ts.
    const customer = customerAccount('dora', ASSET);
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
    await rig.mine(CONFIRMATIONS);

    const key = await ensureDepositKey(rig.adminBridge, registered, { walletId, account: 0, index: 5, label: 'dep-dora-5', admin: rig.admin, deviceId: ctx.deviceId });
    assert.deepEqual([key.keyId, key.address.toLowerCase(), key.group], [registered.keyId, deposit, 'deposit']);

    const sweep = await startSweep(ctx, { depositAddress: deposit, hotAddress });
    assert.equal(
      sweep.status,
      'broadcast',
      JSON.stringify(sweep, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash: sweep.txHash as Hex });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.from.toLowerCase(), deposit, 'signed by the key derived at the deposit path');
    await rig.mine(CONFIRMATIONS);
    const posted = await settleSweeps(ctx);
    assert.equal(posted.length, 1);
    assert.equal((await getEntry(db, posted[0]!.entry.id))!.kind, 'sweep');
    const fee = receipt.gasUsed * receipt.effectiveGasPrice;
    const onChainDeposit = await anvil.publicClient.getBalance({ address: deposit as Hex });
    assert.equal(onChainDeposit, funded - sweep.amount - fee);
    assert.equal((await accountBalance(db, depAcct))!.settled, -onChainDeposit);
    assert.equal((await accountBalance(db, customer))!.available, funded);
    assert.deepEqual((await checkReplay(db)).differences, []);

    // The derived deposit key is confined like any deposit key: paying a stranger is denied (sweep_only).
    const stranger = privateKeyToAccount(generatePrivateKey()).address;
    const nonce = await anvil.publicClient.getTransactionCount({ address: deposit as Hex });
    const body: Record<string, unknown> = {
      keyId: key.keyId,
      transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce, gasLimit: 21000, to: stranger, value: '1000', maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' },
    };
    body.stamp = await stampSignRequest(ctx.deviceId, rig.custody, body, 'hd-steal-1');
    const denied = await rig.custodyBridge.signEvmTransaction(body, 'hd-steal-1');
    assert.equal(denied.status, 'denied');
    assert.deepEqual(
      denied.reasons?.map((r) => r.code),
      ['sweep_only'],
    );
  });
});
