// Withdrawals from request to a settled ledger entry (issue 14) through the real appliance on its
// SoftHSM2 token, the real bridge over HTTP and anvil behind three fault-injecting JSON-RPC proxies,
// with automine off so the test decides when blocks come: a plain transfer W0 → W10 with the ledger's
// postings at each step; one above the approval tier waiting in W2 until two approvers sign; a DROPPED
// attempt re-sent at the same nonce with higher fees and the old one closed as REPLACED; endpoints that
// disagree (RPC_INCONSISTENT) handed to an operator after the policy's rounds; a REVERTED token transfer
// handed to an operator, never retried, its fee posted; the nonce sequence without gaps.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, type ServerType } from '@hono/node-server';
import { parseEther, parseTransaction, type Hex, type PublicClient } from 'viem';
import { createApp } from '../../host-bridge/app.js';
import { readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { customerAccount, feesAccount } from '../../ledger/accounts.js';
import { accountBalance } from '../../ledger/balances.js';
import { BridgeClient } from '../../ledger/bridge-client.js';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { checkReplay } from '../../ledger/replay.js';
import { erc20Asset } from '../../ledger/assets.js';
import { attemptsOf } from '../../orchestrator/attempt-store.js';
import { cancelWithdrawal } from '../../orchestrator/cancel.js';
import { endpoints } from '../../orchestrator/endpoints.js';
import { DEFAULT_ROUTE_POLICY } from '../../orchestrator/exception-routes.js';
import { migrateOrchestrator } from '../../orchestrator/migrations.js';
import { nonceGaps } from '../../orchestrator/nonce-manager.js';
import { resolveWithdrawal } from '../../orchestrator/operator-actions.js';
import type { Runtime } from '../../orchestrator/runtime.js';
import { createWithdrawal, getWithdrawal, withdrawalHistory } from '../../orchestrator/withdrawal-store.js';
import { workRound } from '../../orchestrator/worker.js';
import { startRpcProxy, type RpcProxy } from '../../reliability/rpc-proxy.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { creditFinalDeposit } from '../helpers/ledger-deposit.js';
import { deployFromFunder, nextFunderDeployment } from '../helpers/e2e-token.js';
import { compileFixture } from '../helpers/solidity.js';
import { approvalBody, CHAIN_ID, ETH, startTestDevice, testPolicyJson, type TestDevice, type TestPeople } from '../helpers/test-device.js';

const NATIVE = `${CHAIN_ID}:native`;
const FEE_CAP = { maxGasLimit: 100_000n, maxFeeWei: 10n ** 16n };
const TO = '0x' + '5e'.repeat(20);

let anvil: Anvil;
let dev: TestDevice;
let server: ServerType;
let proxies: RpcProxy[];
let db: Db;
let rt: Runtime;
let hot: Hex;
let tokenAddress: Hex;
let clock = new Date('2026-12-01T12:00:00Z');

function policy(p: TestPeople): PolicyJson {
  const base = testPolicyJson(p, { holdSeconds: 0 });
  return {
    ...base,
    feeCaps: { [String(CHAIN_ID)]: { maxGasLimit: FEE_CAP.maxGasLimit.toString(), maxFeeWei: FEE_CAP.maxFeeWei.toString() } },
    groups: {
      hot: {
        ...base.groups.hot!,
        whitelistRequired: false,
        assets: { ...base.groups.hot!.assets, [erc20Asset(CHAIN_ID, tokenAddress)]: { perTxMax: (1000n * ETH).toString(), windows: [], approvalTiers: [], decimals: 18 } },
      },
    },
  };
}

const rpc = (method: string, params: unknown[] = []) => (anvil.publicClient as PublicClient).request({ method: method as never, params: params as never });
const mine = async (n = 1) => {
  for (let i = 0; i < n; i++) await rpc('evm_mine');
};
const resetFaults = () => proxies.forEach((p) => Object.assign(p.faults, { dropSends: false, refuseSends: false, nullReceipts: false, disagree: false, down: false }));

/** Worker rounds until the withdrawal reaches one of `states` (each round is one step; bounded). */
async function runUntil(id: string, states: string[], between: () => Promise<void> = async () => {}, max = 12): Promise<string> {
  for (let i = 0; i < max; i++) {
    const w = (await getWithdrawal(db, id))!;
    if (states.includes(w.state)) return w.state;
    const r = await workRound(rt, { worker: 'worker-1', now: clock });
    assert.deepEqual(r.errors, [], 'no step failed');
    await between();
  }
  return (await getWithdrawal(db, id))!.state;
}

const fund = (customer: string, amount: bigint, asset = NATIVE) => creditFinalDeposit(db, { customer, custody: hot, asset, amount, key: `fund-${customer}-${asset}` });

let n = 0;
async function ask(customer: string, amount: bigint, asset = NATIVE): Promise<string> {
  const { withdrawal } = await createWithdrawal(db, { idempotencyKey: `wd-${n++}`, customer, chainId: BigInt(CHAIN_ID), asset, to: TO, amount, actor: 'test', at: clock });
  return withdrawal.id;
}

describe('withdrawals from request to a settled ledger entry, through the appliance and a faulty chain', () => {
  before(async () => {
    anvil = await startAnvil();
    const token = compileFixture('TestToken.sol', 'TestToken');
    tokenAddress = await nextFunderDeployment(anvil);
    await deployFromFunder(anvil, token, [anvil.funder.account!.address, 1_000_000n * ETH], tokenAddress);
    dev = await startTestDevice({ policy });
    hot = String(dev.keys[0]!.address) as Hex;
    await anvil.funder.sendTransaction({ to: hot, value: parseEther('100'), chain: anvil.funder.chain, account: anvil.funder.account! });
    await rpc('evm_setAutomine', [false]);
    const app = createApp({ appliance: dev.client, tokens: new TokenVerifier(readTokens(dev.paths.bridgeTokens)) });
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
    });
    const bridge = new BridgeClient({ baseUrl: `http://127.0.0.1:${port}`, token: dev.tokens.orchestrator });
    proxies = [await startRpcProxy(anvil.rpcUrl), await startRpcProxy(anvil.rpcUrl), await startRpcProxy(anvil.rpcUrl)];
    db = await openLedgerDb();
    await migrateOrchestrator(db);
    rt = {
      db,
      bridge,
      deviceId: await bridge.deviceId(),
      requester: { id: 'orchestrator' },
      chains: new Map([
        [
          String(CHAIN_ID),
          {
            chainId: BigInt(CHAIN_ID),
            endpoints: endpoints(proxies.map((p) => p.url)),
            hot: { keyId: String(dev.keys[0]!.keyId), address: hot },
            finality: { confirmations: 2 },
            feeCap: { gasLimit: FEE_CAP.maxGasLimit, maxFeeWei: FEE_CAP.maxFeeWei },
            gasLimits: { native: 21_000n, erc20: 100_000n },
            inclusionDeadlineBlocks: 2,
          },
        ],
      ]),
      checks: { dailyLimits: {}, riskList: new Set(), travelRuleAbove: {} },
      routes: { ...DEFAULT_ROUTE_POLICY, maxInconsistentRounds: 2 },
      actor: 'worker-1',
    };
    await fund('alice', 20n * ETH);
    await fund('bob', 1000n * ETH, erc20Asset(CHAIN_ID, tokenAddress));
  });
  after(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const p of proxies ?? []) await p.stop();
    await db?.close();
    await dev?.stop();
    await anvil?.stop();
  });

  test('a transfer goes W0 → W10: reserved, signed, broadcast (Pending), included, final, posted with its fee', async () => {
    resetFaults();
    const before = await anvil.publicClient.getBalance({ address: TO as Hex });
    const id = await ask('alice', parseEther('0.5'));
    assert.equal(await runUntil(id, ['broadcasted']), 'broadcasted');
    const pending = (await accountBalance(db, customerAccount('alice', NATIVE)))!;
    assert.equal(pending.pending, parseEther('0.5'), 'broadcast moved Reserved to Pending');
    await mine();
    assert.equal(await runUntil(id, ['included']), 'included');
    assert.equal(await runUntil(id, ['completed'], () => mine()), 'completed');
    assert.equal((await anvil.publicClient.getBalance({ address: TO as Hex })) - before, parseEther('0.5'));
    const alice = (await accountBalance(db, customerAccount('alice', NATIVE)))!;
    assert.deepEqual([alice.available, alice.reserved, alice.pending], [20n * ETH - parseEther('0.5'), 0n, 0n]);
    const [attempt] = await attemptsOf(db, id);
    const receipt = await anvil.publicClient.getTransactionReceipt({ hash: attempt!.txHash as Hex });
    const fees = (await accountBalance(db, feesAccount(NATIVE)))!;
    assert.equal(fees.settled, -(receipt.gasUsed * receipt.effectiveGasPrice), 'the network fee is on the fee account');
    assert.equal(parseTransaction(attempt!.rawTx as Hex).to?.toLowerCase(), TO);
    const codes = (await withdrawalHistory(db, id)).map((h) => h.to);
    assert.deepEqual(codes, ['requested', 'policy_checked', 'signing', 'signed', 'broadcasted', 'included', 'finalized', 'ledger_posted', 'completed']);
    assert.deepEqual((await checkReplay(db)).differences, []);
  });

  test('above the approval tier it waits in W2 until two approvers sign, then completes', async () => {
    resetFaults();
    const id = await ask('alice', 2n * ETH);
    assert.equal(await runUntil(id, ['approval_pending']), 'approval_pending');
    await workRound(rt, { worker: 'worker-1', now: clock });
    assert.equal((await getWithdrawal(db, id))!.state, 'approval_pending', 'asking again is the same pending answer');
    const [attempt] = await attemptsOf(db, id);
    const request = await dev.request('GET', `/v1/requests/${attempt!.id}`, dev.tokens.orchestrator);
    const digest = String(request.json.intentDigest);
    for (const approver of dev.people.approvers.slice(0, 2)) {
      const r = await dev.request('POST', `/v1/requests/${attempt!.id}/approvals`, dev.tokens.approver, approvalBody(approver, dev.deviceId, digest));
      assert.ok(r.status === 200 || r.status === 202, JSON.stringify(r.json));
    }
    assert.equal(await runUntil(id, ['broadcasted']), 'broadcasted');
    await mine();
    assert.equal(await runUntil(id, ['completed'], () => mine()), 'completed');
    const history = (await withdrawalHistory(db, id)).map((h) => h.to);
    assert.deepEqual(history.slice(0, 6), ['requested', 'policy_checked', 'signing', 'approval_pending', 'approved', 'signed']);
  });

  test('DROPPED: a send every endpoint swallowed is re-sent at the same nonce with higher fees; the old attempt is REPLACED', async () => {
    resetFaults();
    proxies.forEach((p) => (p.faults.dropSends = true));
    const id = await ask('alice', parseEther('0.1'));
    assert.equal(await runUntil(id, ['broadcasted']), 'broadcasted');
    resetFaults();
    await mine(2);
    await workRound(rt, { worker: 'worker-1', now: clock });
    const attempts = await attemptsOf(db, id);
    assert.equal(attempts.length, 2, 'a replacement was made');
    assert.equal(attempts[0]!.nonce, attempts[1]!.nonce, 'at the same nonce');
    assert.ok(attempts[1]!.maxFeePerGas! * 100n >= attempts[0]!.maxFeePerGas! * 110n, 'at least 10% more');
    assert.equal(attempts[0]!.state, 'dropped');
    await mine();
    assert.equal(await runUntil(id, ['completed'], () => mine()), 'completed', JSON.stringify(await withdrawalHistory(db, id)));
    const after = await attemptsOf(db, id);
    assert.deepEqual(
      after.map((a) => a.state),
      ['replaced', 'finalized'],
    );
  });

  test('RPC_INCONSISTENT: endpoints that disagree get no quorum; after the rounds the policy allows, an operator decides', async () => {
    resetFaults();
    const id = await ask('alice', parseEther('0.2'));
    assert.equal(await runUntil(id, ['broadcasted']), 'broadcasted');
    await mine();
    proxies[1]!.faults.disagree = true;
    proxies[2]!.faults.down = true;
    assert.equal(await runUntil(id, ['operator']), 'operator');
    const last = (await withdrawalHistory(db, id)).at(-1)!;
    assert.deepEqual([last.cause, (last.detail as { exception: string }).exception], ['attempt_exception', 'rpc_inconsistent']);
    assert.equal((await attemptsOf(db, id))[0]!.state, 'rpc_inconsistent');
    resetFaults();
    // The operator retries once the endpoints agree again: the quorum sees the inclusion and it completes.
    await resolveWithdrawal(db, id, 'retry', { actor: 'ops-carol', note: 'endpoint 3 is back' });
    assert.equal(await runUntil(id, ['completed'], () => mine()), 'completed');
    const retry = (await withdrawalHistory(db, id)).find((h) => h.cause === 'operator_retry')!;
    assert.equal(retry.actor, 'ops-carol');
  });

  test('REVERTED: a token transfer the chain reverts goes to an operator and is not retried', async () => {
    resetFaults();
    const feesBefore = (await accountBalance(db, feesAccount(NATIVE)))!.settled;
    const id = await ask('bob', 10n * ETH, erc20Asset(CHAIN_ID, tokenAddress));
    assert.equal(await runUntil(id, ['broadcasted']), 'broadcasted');
    await mine();
    assert.equal(await runUntil(id, ['operator']), 'operator', 'the hot address holds no token: the transfer reverts');
    const attempts = await attemptsOf(db, id);
    assert.deepEqual(
      attempts.map((a) => a.state),
      ['reverted'],
    );
    // The reverted transaction still paid its fee: posted from the hot address to the fee account.
    const receipt = await anvil.publicClient.getTransactionReceipt({ hash: attempts[0]!.txHash as Hex });
    assert.equal(receipt.status, 'reverted');
    assert.equal((await accountBalance(db, feesAccount(NATIVE)))!.settled, feesBefore - receipt.gasUsed * receipt.effectiveGasPrice);
    assert.deepEqual((await checkReplay(db)).differences, []);
    await workRound(rt, { worker: 'worker-1', now: clock });
    assert.equal((await attemptsOf(db, id)).length, 1, 'nothing is re-sent');
    // The operator gives up: the Pending amount goes back to Bob's Available.
    await assert.rejects(resolveWithdrawal(db, id, 'accept', { actor: 'ops-carol', note: 'x' }), /no attempt whose inclusion can be accepted/);
    const failed = await resolveWithdrawal(db, id, 'fail', { actor: 'ops-carol', note: 'reverted: the hot address holds no token' });
    assert.equal(failed.state, 'failed');
    const bob = (await accountBalance(db, customerAccount('bob', erc20Asset(CHAIN_ID, tokenAddress))))!;
    assert.deepEqual([bob.available, bob.pending, bob.reserved], [1000n * ETH, 0n, 0n]);
  });

  test('FAILED: a send every endpoint refuses is retried automatically once they take it, at the same signed transaction', async () => {
    resetFaults();
    proxies.forEach((p) => (p.faults.refuseSends = true));
    const id = await ask('alice', parseEther('0.05'));
    assert.equal(await runUntil(id, ['signed']), 'signed');
    await workRound(rt, { worker: 'worker-1', now: clock });
    const [failed] = await attemptsOf(db, id);
    assert.equal(failed!.state, 'failed', 'no endpoint took it');
    assert.equal((await getWithdrawal(db, id))!.state, 'signed', 'nothing was broadcast: the ledger still holds it Reserved');
    resetFaults();
    assert.equal(await runUntil(id, ['broadcasted']), 'broadcasted');
    const attempts = await attemptsOf(db, id);
    assert.equal(attempts.length, 1, 'the same signed transaction is re-sent, no new signature');
    const causes = (await db.query<{ cause: string }>('SELECT cause FROM orch_attempt_transitions WHERE attempt_id = $1 ORDER BY seq', [attempts[0]!.id])).rows.map((r) => r.cause);
    assert.deepEqual(causes, ['created', 'appliance_signed', 'rpc_refused', 'resend']);
    await mine();
    assert.equal(await runUntil(id, ['completed'], () => mine()), 'completed');
  });

  test('EXPIRED: an attempt still in the mempool past its deadline is bumped at the same nonce; included late, it still counts and the bump is closed as REPLACED', async () => {
    resetFaults();
    const limit = (await anvil.publicClient.getBlock()).gasLimit;
    const id = await ask('alice', parseEther('0.06'));
    assert.equal(await runUntil(id, ['broadcasted']), 'broadcasted');
    // Blocks too small for any transaction: they keep coming, the transfer stays pending.
    await rpc('anvil_setBlockGasLimit', ['0x' + (20_000).toString(16)]);
    await mine(2);
    await workRound(rt, { worker: 'worker-1', now: clock });
    const attempts = await attemptsOf(db, id);
    // The bump is signed at once; anvil refuses any new transaction above the small block gas limit,
    // so its first send FAILS and it is re-sent once blocks are large again.
    assert.deepEqual(
      attempts.map((a) => a.state),
      ['expired', 'failed'],
      'the first expired in the mempool and a bump was made',
    );
    assert.equal(attempts[0]!.nonce, attempts[1]!.nonce);
    assert.ok(attempts[1]!.maxPriorityFeePerGas! * 100n >= attempts[0]!.maxPriorityFeePerGas! * 110n);
    // Blocks large again: the node still holds the first attempt (it never took the bump), and mines it.
    await rpc('anvil_setBlockGasLimit', ['0x' + limit.toString(16)]);
    await mine();
    assert.equal(await runUntil(id, ['completed'], () => mine()), 'completed');
    assert.deepEqual(
      (await attemptsOf(db, id)).map((a) => a.state),
      ['finalized', 'replaced'],
    );
  });

  test('CANCEL after broadcast: 0 to self at the same nonce, fees 10% higher, signed by the appliance, wins the nonce; final, the withdrawal is cancelled and its Pending is Available again', async () => {
    resetFaults();
    const toBefore = await anvil.publicClient.getBalance({ address: TO as Hex });
    const aliceBefore = (await accountBalance(db, customerAccount('alice', NATIVE)))!;
    const feesBefore = (await accountBalance(db, feesAccount(NATIVE)))!.settled;
    const id = await ask('alice', parseEther('0.07'));
    assert.equal(await runUntil(id, ['broadcasted']), 'broadcasted');
    const asked = await cancelWithdrawal(db, id, { actor: 'support-desk', note: 'the customer changed their mind' });
    assert.equal(asked.withdrawal.state, 'broadcasted', 'a sent withdrawal is not cancelled until the chain says so');
    assert.equal(asked.onChain?.actor, 'support-desk');
    await workRound(rt, { worker: 'worker-1', now: clock });
    const [transfer, cancel] = await attemptsOf(db, id);
    assert.equal(cancel?.kind, 'cancel', 'the worker made the cancel attempt');
    assert.equal(cancel!.state, 'sent', 'signed and sent in the same round');
    const tx = parseTransaction(cancel!.rawTx as Hex);
    assert.deepEqual([tx.to?.toLowerCase(), tx.value ?? 0n, tx.data ?? '0x', BigInt(tx.nonce!)], [hot.toLowerCase(), 0n, '0x', transfer!.nonce], '0 to self at the same nonce, no data');
    assert.ok(tx.maxFeePerGas! * 100n >= transfer!.maxFeePerGas! * 110n && tx.maxPriorityFeePerGas! * 100n >= transfer!.maxPriorityFeePerGas! * 110n, 'both fees at least 10% higher');
    await mine();
    assert.equal(await runUntil(id, ['cancelled'], () => mine()), 'cancelled', JSON.stringify(await withdrawalHistory(db, id)));
    assert.deepEqual(
      (await attemptsOf(db, id)).map((a) => [a.kind, a.state]),
      [
        ['transfer', 'replaced'],
        ['cancel', 'finalized'],
      ],
    );
    assert.equal(await anvil.publicClient.getBalance({ address: TO as Hex }), toBefore, 'nothing reached the destination');
    const alice = (await accountBalance(db, customerAccount('alice', NATIVE)))!;
    assert.deepEqual([alice.available, alice.reserved, alice.pending], [aliceBefore.available, 0n, 0n], 'the amount is Available again');
    const receipt = await anvil.publicClient.getTransactionReceipt({ hash: cancel!.txHash as Hex });
    assert.equal((await accountBalance(db, feesAccount(NATIVE)))!.settled, feesBefore - receipt.gasUsed * receipt.effectiveGasPrice, "the cancel's fee is on the fee account");
    const last = (await withdrawalHistory(db, id)).slice(-3).map((h) => [h.to, h.cause]);
    assert.deepEqual(last, [
      ['broadcasted', 'attempt_sent'],
      ['included', 'attempt_included'],
      ['cancelled', 'cancel_final'],
    ]);
    assert.deepEqual((await checkReplay(db)).differences, []);
  });

  test('CANCEL too late: once the transfer is included, a cancel is refused and the withdrawal completes', async () => {
    resetFaults();
    const id = await ask('alice', parseEther('0.03'));
    assert.equal(await runUntil(id, ['broadcasted']), 'broadcasted');
    await mine();
    assert.equal(await runUntil(id, ['included']), 'included');
    await assert.rejects(cancelWithdrawal(db, id, { actor: 'support-desk' }), (e: Error & { code?: string }) => e.code === 'illegal_transition');
    assert.equal(await runUntil(id, ['completed'], () => mine()), 'completed');
    assert.equal((await attemptsOf(db, id)).length, 1, 'no cancel attempt was made');
  });

  test('the hot address has no nonce gap: every reserved nonce is spent on chain', async () => {
    const confirmed = BigInt(await anvil.publicClient.getTransactionCount({ address: hot, blockTag: 'latest' }));
    const gaps = await nonceGaps(db, { chainId: BigInt(CHAIN_ID), from: hot }, confirmed);
    assert.deepEqual([gaps.released, gaps.spentElsewhere], [[], []]);
    assert.equal(gaps.highest, confirmed - 1n);
    clock = new Date(clock.getTime() + 1000);
  });
});
