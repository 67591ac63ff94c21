// The custody service's sweeps routes over app.request(), through the real bridge served over HTTP,
// the appliance process on its SoftHSM2 token and anvil (test/helpers/ledger-appliance.ts, started once
// for the file: the deposit group is a sweep group into the hot key's address): deposit addresses made
// by the appliance through POST /v1/customers/{customer}/deposit-addresses, funded on anvil and credited
// by the deposits job; POST /v1/sweeps builds the transfer, has the appliance sign it as the service's
// requester (stamped with its request key), checks and broadcasts it; the deposits job settles it once
// final and the ledger then reconciles with the chain; nothing left to sweep is 409; a sweep above the
// deposit group's per-transaction limit is denied by the appliance and recorded with its reason code
// (409 sweep_refused); the periodic sweep job on the hand-driven clock goes on past that denial.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Hex } from 'viem';
import type { ChainConfig } from '../../ledger/chain.js';
import { registerCustodyAddress } from '../../ledger/custody-addresses.js';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { startLedgerAppliance, type LedgerAppliance } from '../helpers/ledger-appliance.js';
import { ETH } from '../helpers/test-device.js';
import { OPERATOR_TOKEN, READER_TOKEN } from '../custody/fixtures.js';
import { call, ledgerService, type LedgerService } from '../custody/ledger-service.js';

let rig: LedgerAppliance;
let db: Db;
let chain: ChainConfig;
let s: LedgerService;
let hot: string;

type SweepView = {
  id: string;
  from: string;
  to: string;
  keyId: string;
  status: string;
  amount: string;
  gasLimit: string;
  maxFeePerGas: string;
  requestId: string;
  auditSeq: number | null;
  txHash: string | null;
  entryId: string | null;
  fee: string | null;
  reasons: string[];
};

const service = (jobs?: { depositsEveryMs: number; reconcileEveryMs: number; sweepEveryMs: number | null }) =>
  ledgerService(db, [chain], {
    bridge: { url: rig.bridgeUrl, token: () => rig.custodyToken },
    settings: { requester: rig.custody, admin: { principal: rig.admin, token: () => rig.adminToken }, ...(jobs ? { jobs } : {}) },
  });

/** A deposit address the appliance makes for `customer`, through the service's route. */
async function depositAddress(customer: string): Promise<{ address: Hex; keyId: string }> {
  const r = await call(s.app, 'POST', `/v1/customers/${customer}/deposit-addresses`, OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(r.status, 201, r.text);
  return { address: r.body.address as Hex, keyId: r.body.keyId as string };
}

async function fund(to: Hex, value: bigint): Promise<void> {
  const hash = await rig.anvil.funder.sendTransaction({ to, value, account: rig.anvil.funder.account!, chain: rig.anvil.funder.chain });
  await rig.anvil.publicClient.waitForTransactionReceipt({ hash });
  await rig.mine(1);
}

const balance = (address: string) => rig.anvil.publicClient.getBalance({ address: address as Hex });

before(async () => {
  rig = await startLedgerAppliance();
  db = await openLedgerDb();
  hot = rig.hotAddress;
  await registerCustodyAddress(db, { chainId: 31337n, address: hot, role: 'hot', keyId: rig.hotKeyId, keyGroup: 'hot' });
  chain = { chainId: 31337n, rpcUrl: rig.anvil.rpcUrl, finality: { confirmations: 1 }, tokens: [] };
  s = service();
});
after(async () => {
  await db?.close();
  await rig?.stop();
});

test('a credited deposit swept to the hot address, signed by the appliance, settled once final by the deposits job; the ledger then matches the chain', async () => {
  const gina = await depositAddress('gina');
  await fund(gina.address, ETH);
  await s.jobs.runNow('deposits:31337');
  const hotBefore = await balance(hot);
  const r = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: gina.address });
  assert.equal(r.status, 201, r.text);
  const sw = r.body as unknown as SweepView;
  assert.equal(sw.status, 'broadcast');
  assert.deepEqual([sw.from, sw.keyId], [gina.address, gina.keyId]);
  assert.equal(sw.to, hot, "the chain's one hot address by default");
  assert.equal(BigInt(sw.amount), ETH - BigInt(sw.gasLimit) * BigInt(sw.maxFeePerGas), 'the final balance less the most the gas can cost');
  // The appliance signed it as the custody requester, with its stamp checked, under the sweep's request id.
  const audit = await rig.auditEntry(sw.auditSeq);
  assert.deepEqual([audit.kind, audit.outcome, audit.keyId, audit.requester, audit.requesterProof], ['sign.evm-tx', 'allow', gina.keyId, 'custody', 'verified']);
  assert.equal(audit.requestId, sw.requestId);
  // What anvil mined: from the deposit key, to the hot address, the amount recorded.
  const receipt = await rig.anvil.publicClient.getTransactionReceipt({ hash: sw.txHash as Hex });
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.from.toLowerCase(), gina.address);
  const tx = await rig.anvil.publicClient.getTransaction({ hash: sw.txHash as Hex });
  assert.deepEqual([tx.to?.toLowerCase(), tx.value], [hot, BigInt(sw.amount)]);
  assert.equal(tx.type, 'eip1559');
  assert.deepEqual((await call(s.app, 'GET', '/v1/sweeps?status=settled', READER_TOKEN)).body.sweeps, [], 'not final yet');

  await rig.mine(1);
  await s.jobs.runNow('deposits:31337');
  const settled = (await call(s.app, 'GET', '/v1/sweeps?status=settled', READER_TOKEN)).body.sweeps as SweepView[];
  assert.equal(settled.length, 1);
  assert.equal(settled[0]!.id, sw.id);
  const fee = receipt.gasUsed * receipt.effectiveGasPrice;
  assert.ok(settled[0]!.entryId !== null);
  assert.equal(BigInt(settled[0]!.fee!), fee);
  assert.equal((await balance(hot)) - hotBefore, BigInt(sw.amount));
  assert.equal(await balance(gina.address), ETH - BigInt(sw.amount) - fee);
  const run = await call(s.app, 'POST', '/v1/reconciliations', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(run.status, 201, run.text);
  assert.equal((run.body.reconciliations as { breakCount: number }[])[0]!.breakCount, 0);
  const again = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: gina.address });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'nothing_to_sweep');
  assert.deepEqual(s.failures, []);
});

test("refusals: above the deposit group's per-transaction limit the appliance denies (409 sweep_refused, recorded with per_tx_limit), not a deposit address 404, bad input 400, a reader 403", async () => {
  const hank = await depositAddress('hank');
  await fund(hank.address, 150n * ETH); // the deposit group's perTxMax is 100 ETH
  await s.jobs.runNow('deposits:31337');
  const denied = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: hank.address });
  assert.equal(denied.status, 409, denied.text);
  assert.equal(denied.body.code, 'sweep_refused');
  const listed = (await call(s.app, 'GET', `/v1/sweeps?address=${hank.address}`, READER_TOKEN)).body.sweeps as SweepView[];
  assert.deepEqual(
    listed.map((x) => [x.status, x.reasons, x.txHash]),
    [['denied', ['per_tx_limit'], null]],
  );
  const audit = await rig.auditEntry(listed[0]!.auditSeq);
  assert.deepEqual([audit.kind, audit.outcome, audit.keyId, audit.requestId], ['sign.evm-tx', 'deny', hank.keyId, listed[0]!.requestId]);
  assert.equal(await balance(hank.address), 150n * ETH, 'nothing left the address');
  const notDeposit = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: hot });
  assert.equal(notDeposit.status, 404);
  assert.equal(notDeposit.body.code, 'not_found');
  for (const [body, field] of [
    [{ chainId: '31337' }, 'depositAddress'],
    [{ chainId: '31337', depositAddress: hank.address, extra: 1 }, 'extra'],
    [{ chainId: '5', depositAddress: hank.address }, 'chainId'],
  ] as const) {
    const r = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, body);
    assert.equal(r.status, 400);
    assert.equal(r.body.field, field);
  }
  assert.equal((await call(s.app, 'POST', '/v1/sweeps', READER_TOKEN, { chainId: '31337', depositAddress: hank.address })).status, 403);
  const page = await call(s.app, 'GET', '/v1/sweeps?limit=1', READER_TOKEN);
  assert.equal((page.body.sweeps as unknown[]).length, 1);
  const rest = await call(s.app, 'GET', `/v1/sweeps?after=${page.body.next as string}`, READER_TOKEN);
  assert.deepEqual(
    (rest.body.sweeps as SweepView[]).map((x) => x.from),
    [hank.address],
  );
});

test('the periodic sweep job (jobs.sweepEveryMs) sweeps what is final, goes on past a denied address and reports it', async () => {
  const ivan = await depositAddress('ivan');
  await fund(ivan.address, 2n * ETH);
  const j = service({ depositsEveryMs: 60_000, reconcileEveryMs: 600_000, sweepEveryMs: 5_000 });
  assert.ok(j.jobs.status().some((x) => x.name === 'sweeps:31337'));
  j.jobs.start();
  j.clock.advance(0);
  await j.jobs.settled();
  assert.deepEqual((await call(j.app, 'GET', `/v1/sweeps?address=${ivan.address}`, READER_TOKEN)).body.sweeps, [], 'no sweep before its interval');
  j.clock.advance(5_000);
  await j.jobs.settled();
  await j.jobs.stop();
  const ivans = (await call(j.app, 'GET', `/v1/sweeps?address=${ivan.address}`, READER_TOKEN)).body.sweeps as SweepView[];
  assert.deepEqual(
    ivans.map((x) => [x.status, x.keyId]),
    [['broadcast', ivan.keyId]],
  );
  const receipt = await rig.anvil.publicClient.getTransactionReceipt({ hash: ivans[0]!.txHash as Hex });
  assert.deepEqual([receipt.status, receipt.from.toLowerCase(), receipt.to?.toLowerCase()], ['success', ivan.address, hot]);
  assert.equal(j.failures.length, 1, j.failures.join('\n'));
  assert.match(j.failures[0]!, /^sweeps:31337: the appliance denied the sweep: per_tx_limit/);
});
