// The travel rule (issue 14 item 3) through the real bridge, appliance process, SoftHSM2 token and
// anvil: the hot group's native asset has travelRuleAbove 0.5 ETH and every request is stamped. Above
// it, a request without a travel-rule hash is denied travel_rule_missing and audited; with one it is
// signed, anvil mines it, and the audit entry carries the same hash. A hash the host swaps under the
// requester's stamp breaks the stamp; a request held for approvals keeps its hash (an approver reads it,
// the decision after the approvals sees it); the log replays offline.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { parseEther, type Hex } from 'viem';
import { requestStatement } from '../../host-bridge/request-stamp-client.js';
import { approvalBody, CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { replayDecisions } from '../../attestation/audit-replay.js';
import { entryPayload } from '../../cli/audit-tools.js';

const orchSecret = p256.keygen().secretKey;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const THRESHOLD = ETH / 2n;
const HASH = `0x${'5a'.repeat(32)}`;
const OTHER_HASH = `0x${'a5'.repeat(32)}`;
let dev: TestDevice;
let anvil: Anvil;
let keyId: string;

const transfer = (value: bigint, nonce: number) => ({
  type: 'eip1559',
  chainId: CHAIN_ID,
  nonce,
  to: recipient,
  value: value.toString(),
  gasLimit: 21000,
  maxFeePerGas: '2000000000',
  maxPriorityFeePerGas: '1',
});

async function deviceNow(): Promise<number> {
  return Number((await dev.request('GET', '/v1/device/time', dev.tokens.admin)).json.time);
}

/** Posts the body stamped by the orchestrator (over `stampedBody`, the body itself unless given). */
async function sign(requestId: string, body: Record<string, unknown>, stampedBody = body) {
  const expiresAt = (await deviceNow()) + 600;
  const statement = requestStatement({ deviceId: dev.deviceId, command: 'sign.evm-tx', body: stampedBody, requester: 'orchestrator', requestId, expiresAt });
  const stamp = { expiresAt, signature: `0x${bytesToHex(p256.sign(sha256(statement), orchSecret, { prehash: false, format: 'der' }))}` };
  return dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { ...body, stamp }, { 'Idempotency-Key': requestId });
}

async function entry(seq: unknown): Promise<Record<string, unknown>> {
  const page = await dev.request('GET', `/v1/audit?fromSeq=${Number(seq)}&limit=1`, dev.tokens.auditor);
  return ((page.json.entries as { payload: Record<string, unknown> }[])[0]?.payload ?? {}) as Record<string, unknown>;
}

const reasonCodes = (json: Record<string, unknown>) => ((json.reasons as { code: string }[] | undefined) ?? []).map((r) => r.code);

describe('travel rule: above travelRuleAbove a transfer must name its payload hash', () => {
  before(async () => {
    anvil = await startAnvil();
    dev = await startTestDevice({
      keys: [{ label: 'hot-1', group: 'hot' }],
      policy: (p) => {
        const base = testPolicyJson(p, { holdSeconds: 0 });
        const hot = base.groups.hot!;
        const native = hot.assets[`${CHAIN_ID}:native`]!;
        return {
          ...base,
          requesters: [{ id: 'orchestrator', alg: 'ES256', publicKey: `0x${bytesToHex(p256.getPublicKey(orchSecret, false))}`, groups: ['hot'] }, { id: 'alice' }],
          groups: { hot: { ...hot, requireSignedRequests: true, assets: { [`${CHAIN_ID}:native`]: { ...native, travelRuleAbove: THRESHOLD.toString() } } } },
        };
      },
    });
    const hot = dev.keys[0]!;
    keyId = String(hot.keyId);
    await whitelist(dev, recipient, 'hot');
    const h = await anvil.funder.sendTransaction({ to: String(hot.address) as Hex, value: parseEther('10'), account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
  });
  after(async () => {
    await dev?.stop();
    await anvil?.stop();
  });

  test('the active policy shows travelRuleAbove', async () => {
    const res = await dev.request('GET', '/v1/policy', dev.tokens.auditor);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.match(JSON.stringify(res.json), /"travelRuleAbove":"?500000000000000000"?/);
  });

  test('above the amount without a hash: denied travel_rule_missing, and audited', async () => {
    const res = await sign('tr-missing', { keyId, transaction: transfer(THRESHOLD + 1n, 0) });
    assert.equal(res.status, 403, JSON.stringify(res.json));
    assert.deepEqual(reasonCodes(res.json), ['travel_rule_missing']);
    const e = await entry(res.json.auditSeq);
    assert.deepEqual([e.kind, e.outcome, e.requestId, e.requesterProof], ['sign.evm-tx', 'deny', 'tr-missing', 'verified']);
    assert.deepEqual(
      (e.reasons as { code: string }[]).map((r) => r.code),
      ['travel_rule_missing'],
    );
    assert.equal(e.travelRuleHash, undefined);
  });

  test('at the amount no hash is needed', async () => {
    const res = await sign('tr-at', { keyId, transaction: transfer(THRESHOLD, 0) });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: String(res.json.rawTransaction) as Hex });
    assert.equal((await anvil.publicClient.waitForTransactionReceipt({ hash })).status, 'success');
  });

  test('a hash the host swaps under the stamp breaks the stamp', async () => {
    const res = await sign('tr-swapped', { keyId, transaction: transfer(THRESHOLD + 1n, 1), travelRuleHash: OTHER_HASH }, { keyId, transaction: transfer(THRESHOLD + 1n, 1), travelRuleHash: HASH });
    assert.equal(res.status, 403, JSON.stringify(res.json));
    assert.deepEqual(reasonCodes(res.json), ['request_bad_signature']);
    // And one the host adds to a request stamped without it.
    const added = await sign('tr-added', { keyId, transaction: transfer(THRESHOLD + 1n, 1), travelRuleHash: HASH }, { keyId, transaction: transfer(THRESHOLD + 1n, 1) });
    assert.deepEqual(reasonCodes(added.json), ['request_bad_signature']);
  });

  test('with a hash: signed, mined by anvil, and the audit entry carries the same hash', async () => {
    const res = await sign('tr-ok', { keyId, transaction: transfer(THRESHOLD + 1n, 1), travelRuleHash: HASH });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: String(res.json.rawTransaction) as Hex });
    assert.equal((await anvil.publicClient.waitForTransactionReceipt({ hash })).status, 'success');
    const e = await entry(res.json.auditSeq);
    assert.deepEqual([e.outcome, e.result, e.requestId], ['allow', 'signed', 'tr-ok']);
    assert.equal(e.travelRuleHash, HASH);
    // A retry naming another hash under the same idempotency key is another request.
    const retry = await sign('tr-ok', { keyId, transaction: transfer(THRESHOLD + 1n, 1), travelRuleHash: OTHER_HASH });
    assert.equal(retry.status, 422, JSON.stringify(retry.json)); // the key names another request: 422 (Idempotency-Key draft)
  });

  test('held for approvals, the request keeps its hash: the approver reads it, the decision after the approvals sees it', async () => {
    const res = await sign('tr-held', { keyId, transaction: transfer(2n * ETH, 2), travelRuleHash: HASH });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.equal((await entry(res.json.auditSeq)).travelRuleHash, HASH);
    const read = await dev.request('GET', '/v1/requests/tr-held', dev.tokens.approver);
    assert.equal(read.json.status, 'pending_approval', JSON.stringify(read.json));
    assert.equal(read.json.travelRuleHash, HASH);
    const digest = String(res.json.intentDigest);
    const [, bob, carol] = dev.people.approvers;
    assert.equal((await dev.request('POST', '/v1/requests/tr-held/approvals', dev.tokens.approver, approvalBody(bob!, dev.deviceId, digest))).status, 202);
    const done = await dev.request('POST', '/v1/requests/tr-held/approvals', dev.tokens.approver, approvalBody(carol!, dev.deviceId, digest));
    assert.equal(done.status, 200, JSON.stringify(done.json));
    const e = await entry(done.json.auditSeq);
    assert.deepEqual([e.kind, e.result, e.travelRuleHash], ['request.approve', 'signed', HASH]);
    const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: String(done.json.rawTransaction) as Hex });
    assert.equal((await anvil.publicClient.waitForTransactionReceipt({ hash })).status, 'success');
  });

  test('the log replays offline, and an entry whose hash an editor removed no longer does', async () => {
    const page = await dev.client.call('audit.list', { fromSeq: 1, limit: 1000 });
    const payloads = (page.entries as { entry: Uint8Array }[]).map((e) => entryPayload(e.entry));
    assert.deepEqual(replayDecisions(payloads).mismatches, []);
    const ok = payloads.find((p) => p.requestId === 'tr-ok' && p.result === 'signed')!;
    const { travelRuleHash: _removed, ...edited } = ok;
    assert.ok(replayDecisions([...payloads.filter((p) => p !== ok), edited]).mismatches.length > 0);
  });
});
