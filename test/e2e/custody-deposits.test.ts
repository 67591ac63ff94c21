// The custody service's deposits routes over app.request(), through the real bridge served over HTTP,
// the appliance process on its SoftHSM2 token and anvil (test/helpers/ledger-appliance.ts, started once
// for the file): POST /v1/customers/{customer}/deposit-addresses has the appliance generate a key in the
// deposit group (the admin's token and its stamp, which the appliance verifies and audits) and registers
// its address for the customer; the bridge refusing (an unknown token, a token without the admin scope,
// a stamp by the wrong key) is a 502 bridge_error with the bridge's code, no admin configured a 503;
// GET /v1/deposits lists, filters and pages what the deposits job saw on anvil for those addresses,
// included then final.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Hex } from 'viem';
import type { ChainConfig } from '../../ledger/chain.js';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { startLedgerAppliance, type LedgerAppliance } from '../helpers/ledger-appliance.js';
import { ETH } from '../helpers/test-device.js';
import { OPERATOR_TOKEN, READER_TOKEN } from '../custody/fixtures.js';
import { call, ledgerService, type LedgerService } from '../custody/ledger-service.js';

const CONFIRMATIONS = 3;

let rig: LedgerAppliance;
let db: Db;
let chain: ChainConfig;
let s: LedgerService;
const carol: { address: string; keyId: string }[] = [];

type AddressView = { chainId: string; address: string; role: string; customer: string; keyId: string; keyGroup: string };
type DepositView = { amount: string; status: string; blockNumber: string; customer: string; to: string; txHash: string };

/** The appliance's audit entry for the key.generate of `keyId`, read through the bridge as an auditor. */
async function keyGenerateAudit(keyId: string): Promise<Record<string, unknown>> {
  const page = await rig.dev.request('GET', '/v1/audit?fromSeq=0&limit=1000', rig.dev.tokens.auditor);
  const entries = (page.json.entries as { payload: Record<string, unknown> }[]).map((e) => e.payload);
  const found = entries.filter((e) => e.kind === 'key.generate' && e.keyId === keyId);
  assert.equal(found.length, 1, `one key.generate entry for ${keyId}`);
  return found[0]!;
}

before(async () => {
  rig = await startLedgerAppliance();
  db = await openLedgerDb();
  chain = { chainId: 31337n, rpcUrl: rig.anvil.rpcUrl, finality: { confirmations: CONFIRMATIONS }, tokens: [] };
  s = ledgerService(db, [chain], {
    bridge: { url: rig.bridgeUrl, token: () => rig.custodyToken },
    settings: { requester: rig.custody, admin: { principal: rig.admin, token: () => rig.adminToken } },
  });
});
after(async () => {
  await db?.close();
  await rig?.stop();
});

test("a deposit address: a key the appliance generates in the deposit group, asked with the admin's token and stamp, registered for the customer", async () => {
  const r = await call(s.app, 'POST', '/v1/customers/carol/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(r.status, 201, r.text);
  const made = r.body as unknown as AddressView;
  assert.match(made.address, /^0x[0-9a-f]{40}$/);
  assert.deepEqual({ ...made, address: '', keyId: '' }, { chainId: '31337', address: '', role: 'deposit', customer: 'carol', keyId: '', keyGroup: 'deposit' });
  // The key is the appliance's: in its registry under the deposit group, the label the route chose, the same address.
  const key = await rig.adminBridge.getKey(made.keyId);
  assert.deepEqual([key.address.toLowerCase(), key.group, key.label], [made.address, 'deposit', 'dep-carol']);
  // The appliance checked the admin's stamp over the key.generate statement and audited who asked.
  const audit = await keyGenerateAudit(made.keyId);
  assert.deepEqual([audit.requester, audit.requesterProof, audit.group], [rig.admin.id, 'verified', 'deposit']);
  assert.match(String(audit.requestId), /^keygen-/);
  carol.push({ address: made.address, keyId: made.keyId });

  const listed = await call(s.app, 'GET', '/v1/custody-addresses?customer=carol', READER_TOKEN);
  assert.deepEqual(
    (listed.body.addresses as { address: string }[]).map((a) => a.address),
    [made.address],
  );
  const labelled = await call(s.app, 'POST', '/v1/customers/carol/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337', label: 'carol.second' });
  assert.equal(labelled.status, 201, labelled.text);
  const second = labelled.body as unknown as AddressView;
  assert.notEqual(second.address, made.address, 'each call makes a new key');
  assert.notEqual(second.keyId, made.keyId);
  assert.equal((await rig.adminBridge.getKey(second.keyId)).label, 'carol.second');
  carol.push({ address: second.address, keyId: second.keyId });
});

test('refusals: bad input 400, a reader 403, the bridge refusing 502 bridge_error (unknown token, no admin scope, a stamp by the wrong key), no admin configured 503', async () => {
  const cases: [string, unknown, string][] = [
    ['/v1/customers/car%20ol/deposit-addresses', { chainId: '31337' }, 'customer'],
    ['/v1/customers/carol/deposit-addresses', { chainId: 'x' }, 'chainId'],
    ['/v1/customers/carol/deposit-addresses', { chainId: '5' }, 'chainId'],
    ['/v1/customers/carol/deposit-addresses', { chainId: '31337', group: 'hot' }, 'group'],
    // The appliance's rule for a key label, checked before the bridge is asked.
    ['/v1/customers/carol/deposit-addresses', { chainId: '31337', label: 'carol second' }, 'label'],
    ['/v1/customers/carol/deposit-addresses', { chainId: '31337', label: 'x'.repeat(65) }, 'label'],
  ];
  for (const [path, body, field] of cases) {
    const r = await call(s.app, 'POST', path, OPERATOR_TOKEN, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.field, field);
  }
  assert.equal((await call(s.app, 'POST', '/v1/customers/carol/deposit-addresses', READER_TOKEN, { chainId: '31337' })).status, 403);

  const bridge = { url: rig.bridgeUrl, token: () => rig.custodyToken };
  const asAdmin = (token: string, principal = rig.admin) => ledgerService(db, [chain], { bridge, settings: { requester: rig.custody, admin: { principal, token: () => token } } });
  const unknown = await call(asAdmin('not-a-bridge-token').app, 'POST', '/v1/customers/dave/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(unknown.status, 502, unknown.text);
  assert.equal(unknown.type, 'application/problem+json');
  assert.deepEqual([unknown.body.code, unknown.body.bridgeCode, unknown.body.bridgeStatus], ['bridge_error', 'unauthorized', 401]);
  // The custody service's own token (scope orchestrator) cannot make keys.
  const noScope = await call(asAdmin(rig.custodyToken).app, 'POST', '/v1/customers/dave/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(noScope.status, 502, noScope.text);
  assert.deepEqual([noScope.body.code, noScope.body.bridgeCode, noScope.body.bridgeStatus], ['bridge_error', 'forbidden', 403]);
  // The admin's token with a stamp by a key the policy does not hold for that admin: the appliance refuses.
  const stranger = p256.keygen().secretKey;
  const forged = { id: rig.admin.id, stamp: (st: Uint8Array) => p256.sign(sha256(st), stranger, { prehash: false, format: 'der' }) };
  const badStamp = await call(asAdmin(rig.adminToken, forged).app, 'POST', '/v1/customers/dave/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(badStamp.status, 502, badStamp.text);
  assert.deepEqual([badStamp.body.code, badStamp.body.bridgeCode, badStamp.body.bridgeStatus], ['bridge_error', 'denied', 403], badStamp.text);
  const refusal = badStamp.body.details as { code: string; requester: string; auditSeq: number };
  assert.deepEqual([refusal.code, refusal.requester], ['request_bad_signature', rig.admin.id]);
  const audited = await rig.auditEntry(refusal.auditSeq);
  assert.deepEqual([audited.kind, audited.outcome, audited.requester], ['key.generate', 'rejected', rig.admin.id]);

  const noAdmin = ledgerService(db, [chain], { bridge });
  const unconfigured = await call(noAdmin.app, 'POST', '/v1/customers/dave/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(unconfigured.status, 503);
  assert.equal(unconfigured.body.code, 'not_configured');
  assert.equal(unconfigured.body.field, 'bridge.admin');
  const noBridge = ledgerService(db, [chain]);
  assert.equal((await call(noBridge.app, 'POST', '/v1/customers/dave/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' })).body.field, 'bridge');
  assert.deepEqual((await call(s.app, 'GET', '/v1/custody-addresses?customer=dave', READER_TOKEN)).body.addresses, [], 'nothing registered on a refusal');
  const keys = (await rig.dev.request('GET', '/v1/keys', rig.dev.tokens.auditor)).json.keys as { group: string }[];
  assert.equal(keys.filter((k) => k.group === 'deposit').length, 2, "no key made for dave: only carol's two");
});

test('GET /v1/deposits: what the deposits job saw on anvil, included then final, filtered and paged', async () => {
  assert.equal(carol.length, 2, 'the first test made two addresses');
  // A customer id with '@' (allowed by the service, not in a key label): the default label writes it as '_'.
  const erinMade = await call(s.app, 'POST', '/v1/customers/erin@example/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(erinMade.status, 201, erinMade.text);
  const erin = (erinMade.body as unknown as AddressView).address;
  assert.equal((await rig.adminBridge.getKey((erinMade.body as unknown as AddressView).keyId)).label, 'dep-erin_example');
  const fund = async (to: string, value: bigint) => {
    const hash = await rig.anvil.funder.sendTransaction({ to: to as Hex, value, account: rig.anvil.funder.account!, chain: rig.anvil.funder.chain });
    const receipt = await rig.anvil.publicClient.waitForTransactionReceipt({ hash });
    return { hash: hash.toLowerCase(), block: receipt.blockNumber.toString() };
  };
  const c1 = await fund(carol[0]!.address, 1n * ETH);
  const e1 = await fund(erin, 3n * ETH);
  const c2 = await fund(carol[1]!.address, 2n * ETH);

  await s.jobs.runNow('deposits:31337');
  const included = (await call(s.app, 'GET', '/v1/deposits?status=included', READER_TOKEN)).body.deposits as DepositView[];
  assert.deepEqual(
    included.map((d) => [d.customer, d.amount, d.txHash]),
    [
      ['carol', (1n * ETH).toString(), c1.hash],
      ['erin@example', (3n * ETH).toString(), e1.hash],
      ['carol', (2n * ETH).toString(), c2.hash],
    ],
    'each transfer seen once, in chain order, not yet final',
  );
  assert.deepEqual((await call(s.app, 'GET', '/v1/deposits?status=final', READER_TOKEN)).body.deposits, []);

  await rig.mine(CONFIRMATIONS);
  await s.jobs.runNow('deposits:31337');
  assert.deepEqual(s.failures, []);
  const carols = (await call(s.app, 'GET', '/v1/deposits?customer=carol', READER_TOKEN)).body.deposits as DepositView[];
  assert.deepEqual(
    carols.map((d) => [d.to, d.amount, d.status, d.blockNumber]),
    [
      [carol[0]!.address, (1n * ETH).toString(), 'final', c1.block],
      [carol[1]!.address, (2n * ETH).toString(), 'final', c2.block],
    ],
  );
  const p1 = await call(s.app, 'GET', '/v1/deposits?chainId=31337&limit=2', READER_TOKEN);
  assert.deepEqual(
    (p1.body.deposits as DepositView[]).map((d) => d.customer),
    ['carol', 'erin@example'],
  );
  assert.ok(typeof p1.body.next === 'string');
  const p2 = await call(s.app, 'GET', `/v1/deposits?chainId=31337&limit=2&after=${p1.body.next as string}`, READER_TOKEN);
  assert.deepEqual(
    (p2.body.deposits as DepositView[]).map((d) => [d.customer, d.amount]),
    [['carol', (2n * ETH).toString()]],
  );
  assert.equal(p2.body.next, null);
  const erins = (await call(s.app, 'GET', `/v1/deposits?address=${erin}&status=final`, READER_TOKEN)).body.deposits as DepositView[];
  assert.deepEqual(
    erins.map((d) => [d.customer, d.amount, d.blockNumber]),
    [['erin@example', (3n * ETH).toString(), e1.block]],
  );
  assert.deepEqual((await call(s.app, 'GET', `/v1/deposits?address=${erin}&status=included`, READER_TOKEN)).body.deposits, []);
  for (const q of ['status=lost', 'limit=0', 'address=0x12', 'after=x', 'chainId=0']) assert.equal((await call(s.app, 'GET', `/v1/deposits?${q}`, READER_TOKEN)).status, 400, q);
});
