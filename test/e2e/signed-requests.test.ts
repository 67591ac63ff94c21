// Signed requests (issue 12 item 1) through the real bridge, appliance process, SoftHSM2 token and
// anvil: a requester with a request key in the policy is believed only on its stamp over the very
// request. A stamped transfer signs and anvil mines it; an unsigned one, one whose stamp expired, one
// signed by a requester not allowed for the key group, and requests a hostile bridge forges, alters or
// re-targets are denied, each with its audit entry; the audit entry of an allowed one names the
// requester as verified.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { parseEther, parseTransaction, type Hex } from 'viem';
import { requestStatement, type StampedCommand } from '../../host-bridge/request-stamp-client.js';
import { signEvmTxParams } from '../../host-bridge/sign-params.js';
import { toWireArgs } from '../../protocol/commands/command.js';
import type { CborMap } from '../../protocol/cbor.js';
import { approvalBody, CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { replayDecisions } from '../../attestation/audit-replay.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { problemFields } from '../helpers/problem.js';

const orchSecret = p256.keygen().secretKey;
const aliceSecret = p256.keygen().secretKey;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
let dev: TestDevice;
let anvil: Anvil;
let keyId: string;
let keyAddress: `0x${string}`;

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

function stamp(secret: Uint8Array, command: StampedCommand, body: Record<string, unknown>, requester: string, requestId: string, expiresAt: number) {
  const statement = requestStatement({ deviceId: dev.deviceId, command, body, requester, requestId, expiresAt });
  return { expiresAt, signature: `0x${bytesToHex(p256.sign(sha256(statement), secret, { prehash: false, format: 'der' }))}` };
}

async function entry(seq: unknown): Promise<Record<string, unknown>> {
  const page = await dev.request('GET', `/v1/audit?fromSeq=${Number(seq)}&limit=1`, dev.tokens.auditor);
  return ((page.json.entries as { payload: Record<string, unknown> }[])[0]?.payload ?? {}) as Record<string, unknown>;
}

const reasonCodes = (json: Record<string, unknown>) => ((json.reasons as { code: string }[] | undefined) ?? []).map((r) => r.code);

describe('signed requests: the requester stamps, the appliance verifies, the bridge only carries', () => {
  before(async () => {
    anvil = await startAnvil();
    dev = await startTestDevice({
      keys: [
        { label: 'hot-1', group: 'hot' },
        { label: 'cold-1', group: 'cold' },
      ],
      policy: (p) => {
        const base = testPolicyJson(p, { holdSeconds: 0 });
        const hot = base.groups.hot!;
        return {
          ...base,
          maxApprovalLifetimeSeconds: 3600,
          requesters: [
            { id: 'orchestrator', alg: 'ES256', publicKey: `0x${bytesToHex(p256.getPublicKey(orchSecret, false))}`, groups: ['hot'] },
            { id: 'alice', alg: 'ES256', publicKey: `0x${bytesToHex(p256.getPublicKey(aliceSecret, false))}`, groups: ['cold'] },
          ],
          groups: { hot: { ...hot, requireSignedRequests: true }, cold: { ...hot, requireSignedRequests: true } },
        };
      },
    });
    const hot = dev.keys.find((k) => k.label === 'hot-1')!;
    keyId = String(hot.keyId);
    keyAddress = String(hot.address) as `0x${string}`;
    await whitelist(dev, recipient, 'hot');
    await whitelist(dev, recipient, 'cold');
    const h = await anvil.funder.sendTransaction({ to: keyAddress as Hex, value: parseEther('10'), account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
  });
  after(async () => {
    await dev?.stop();
    await anvil?.stop();
  });

  test('a stamped transfer is signed, audited with the requester verified, and mined by anvil', async () => {
    const body = { keyId, transaction: transfer(ETH / 10n, 0) };
    const res = await dev.request(
      'POST',
      '/v1/sign/evm-transaction',
      dev.tokens.orchestrator,
      { ...body, stamp: stamp(orchSecret, 'sign.evm-tx', body, 'orchestrator', 'sr-ok', (await deviceNow()) + 600) },
      { 'Idempotency-Key': 'sr-ok' },
    );
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const raw = String(res.json.rawTransaction) as `0x${string}`;
    assert.equal(parseTransaction(raw).to?.toLowerCase(), recipient.toLowerCase());
    const e = await entry(res.json.auditSeq);
    assert.equal(e.requesterProof, 'verified');
    assert.equal((e.requestAuth as Record<string, unknown>).requestId, 'sr-ok');
    const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: raw });
    assert.equal((await anvil.publicClient.waitForTransactionReceipt({ hash })).status, 'success');
  });

  test('an unsigned request for a group that requires signatures is denied and audited', async () => {
    const res = await dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId, transaction: transfer(ETH / 10n, 1) }, { 'Idempotency-Key': 'sr-unsigned' });
    assert.equal(res.status, 403);
    assert.deepEqual(reasonCodes(res.json), ['request_unsigned']);
    const e = await entry(res.json.auditSeq);
    assert.deepEqual([e.outcome, e.requesterProof], ['deny', 'named']);
  });

  test("a stamp that expired on the device's time is refused", async () => {
    const body = { keyId, transaction: transfer(ETH / 10n, 1) };
    const res = await dev.request(
      'POST',
      '/v1/sign/evm-transaction',
      dev.tokens.orchestrator,
      { ...body, stamp: stamp(orchSecret, 'sign.evm-tx', body, 'orchestrator', 'sr-expired', (await deviceNow()) - 1) },
      { 'Idempotency-Key': 'sr-expired' },
    );
    assert.equal(res.status, 403);
    assert.deepEqual(reasonCodes(res.json), ['request_expired']);
  });

  test('a requester signing for a key group it may not use is refused', async () => {
    const cold = String(dev.keys.find((k) => k.label === 'cold-1')!.keyId);
    const body = { keyId: cold, transaction: transfer(ETH / 10n, 0) };
    const res = await dev.request(
      'POST',
      '/v1/sign/evm-transaction',
      dev.tokens.orchestrator,
      { ...body, stamp: stamp(orchSecret, 'sign.evm-tx', body, 'orchestrator', 'sr-cold', (await deviceNow()) + 600) },
      { 'Idempotency-Key': 'sr-cold' },
    );
    assert.equal(res.status, 403);
    assert.ok(reasonCodes(res.json).includes('requester_group_not_allowed'), reasonCodes(res.json).join(','));
  });

  test('a verified requester cannot approve its own request: alice stamps a transfer, then her approval does not count', async () => {
    const cold = String(dev.keys.find((k) => k.label === 'cold-1')!.keyId);
    const body = { keyId: cold, transaction: transfer(2n * ETH, 0) };
    const res = await dev.request(
      'POST',
      '/v1/sign/evm-transaction',
      dev.tokens.alice,
      { ...body, stamp: stamp(aliceSecret, 'sign.evm-tx', body, 'alice', 'sr-alice', (await deviceNow()) + 600) },
      { 'Idempotency-Key': 'sr-alice' },
    );
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.equal((await entry(res.json.auditSeq)).requesterProof, 'verified');
    const alice = dev.people.approvers.find((p) => p.id === 'alice')!;
    const r = await dev.request('POST', '/v1/requests/sr-alice/approvals', dev.tokens.approver, approvalBody(alice, dev.deviceId, String(res.json.intentDigest)));
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.equal((problemFields(r.json) as { details?: { why?: string } }).details?.why, 'requester_cannot_approve');
  });

  test('a hostile bridge cannot forge, alter or re-target a stamped request: each is denied and audited', async () => {
    const now = await deviceNow();
    const body = { keyId, transaction: transfer(ETH / 10n, 1) };
    const good = signEvmTxParams(body, 'orchestrator', 'sr-hostile');
    const goodStamp = stamp(orchSecret, 'sign.evm-tx', body, 'orchestrator', 'sr-hostile', now + 600);
    const wireStamp = { expiresAt: goodStamp.expiresAt, signature: new Uint8Array(Buffer.from(goodStamp.signature.slice(2), 'hex')) };
    const cases: [string, CborMap][] = [
      // forged: the bridge invents a stamp with a key of its own
      ['forged', { ...toWireArgs(good), requestId: 'sr-forged', stamp: { ...wireStamp, signature: p256.sign(new Uint8Array(32), p256.keygen().secretKey, { prehash: false, format: 'der' }) } }],
      // altered: 9 ETH instead of 0.1 under the orchestrator's stamp
      ['altered', { ...toWireArgs(signEvmTxParams({ keyId, transaction: transfer(9n * ETH, 1) }, 'orchestrator', 'sr-hostile')), stamp: wireStamp }],
      // re-targeted: the stamp moved to another request id, and onto alice's name
      ['re-id', { ...toWireArgs(good), requestId: 'sr-retarget', stamp: wireStamp }],
      ['re-requester', { ...toWireArgs(signEvmTxParams(body, 'alice', 'sr-hostile-2')), stamp: wireStamp }],
      // invented: the bridge names the orchestrator without any stamp
      ['invented', { ...toWireArgs(signEvmTxParams(body, 'orchestrator', 'sr-invented')) }],
    ];
    for (const [name, args] of cases) {
      const answer = await dev.client.call('sign.evm-tx', args);
      assert.equal(answer.status, 'denied', name);
      const codes = (answer.reasons as { code: string }[]).map((r) => r.code);
      assert.ok(
        codes.some((c) => c.startsWith('request') || c === 'requester_group_not_allowed'),
        `${name}: ${codes.join(',')}`,
      );
      const e = await entry(answer.auditSeq);
      assert.deepEqual([e.kind, e.outcome, e.requesterProof], ['sign.evm-tx', 'deny', 'named'], name);
    }
  });

  test('the log with stamped and refused requests replays offline: the requester rule is judged again', async () => {
    const page = await dev.client.call('audit.list', { fromSeq: 1, limit: 1000 });
    const payloads = (page.entries as { entry: Uint8Array }[]).map((e) => entryPayload(e.entry));
    const stamped = payloads.filter((p) => p.requestAuth !== undefined);
    assert.ok(stamped.length >= 8, `stamped entries: ${stamped.length}`);
    const report = replayDecisions(payloads);
    assert.deepEqual(report.mismatches, []);
    // An entry whose stamp an editor swapped for another no longer replays to its recorded decision.
    const ok = stamped.find((p) => p.requesterProof === 'verified')!;
    const edited = { ...ok, requestAuth: { ...(ok.requestAuth as Record<string, unknown>), requestId: 'sr-edited' } };
    assert.equal(replayDecisions([...payloads.filter((p) => p !== ok), edited as typeof ok]).mismatches.length > 0, true);
  });
});
