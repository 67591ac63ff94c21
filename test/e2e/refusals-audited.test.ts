// Issue 11 item 10 through the real appliance (SoftHSM2 token, its own process, the bridge): every
// refusal of a well-framed command is an audit entry with the command, the typed code and the
// requester, and the refusal's answer names its seq; a flood of identical refusals adds a bounded
// number of entries whose counts add up (docs/auditors.md "Refusals in the audit log").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { signStatement } from '../../cli/approver-key.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { encodePolicyCancelStatement } from '../../firmware-policy/policy-governance.js';
import { encodeWhitelistCancelStatement } from '../../firmware-policy/whitelist-governance.js';
import { approvalBody, CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

let dev: TestDevice;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

async function head(): Promise<number> {
  return Number((await dev.client.call('health')).auditHeadSeq);
}

async function entries(fromSeq: number): Promise<CborMap[]> {
  const page = await dev.client.call('audit.list', { fromSeq, limit: 1000 });
  return (page.entries as CborMap[]).map((e) => entryPayload(e.entry as Uint8Array));
}

async function entryAt(seq: number): Promise<CborMap> {
  const [e] = await entries(seq);
  assert.ok(e && e.seq === seq, `entry ${seq} exists`);
  return e;
}

const auditSeqOf = (r: { json: Record<string, unknown> }) => Number((problemFields(r.json) as { details?: { auditSeq?: unknown } } | undefined)?.details?.auditSeq);

/** A cancel signed by an admin over another proposal's statement: a well-formed, badly signed cancel. */
function badCancel(statementFor: (adminId: string, expiresAt: number) => Uint8Array, adminIndex = 0) {
  const admin = dev.people.admins[adminIndex]!;
  const expiresAt = Math.floor(Date.now() / 1000) + 600;
  return { adminId: admin.id, expiresAt, signature: hex(signStatement(admin, statementFor(admin.id, expiresAt))) };
}

describe('issue 11 item 10: every refusal is audited, and a flood of them stays bounded', () => {
  let proposalId = '';
  before(async () => {
    // "hot" holds new addresses for an hour (so a cancel is possible); "warm" needs no whitelist (so
    // requests reach the approval stage).
    dev = await startTestDevice({
      keys: [
        { label: 'hot-1', group: 'hot' },
        { label: 'warm-1', group: 'warm' },
      ],
      policy: (p) => {
        const j = testPolicyJson(p, { holdSeconds: 3600 });
        return { ...j, groups: { ...j.groups, warm: { ...j.groups.hot!, whitelistRequired: false } } };
      },
    });
    const p = await whitelist(dev, recipient);
    assert.equal(p.status, 'accepted');
    proposalId = String(p.proposalId);
  });
  after(async () => {
    await dev?.stop();
  });

  test('a whitelist cancel with a bad signature is refused with an audit entry (command, typed code, requester), and cancels nothing', async () => {
    const before = await head();
    const r = await dev.request(
      'POST',
      `/v1/whitelist/proposals/${proposalId}/cancel`,
      dev.tokens.admin,
      badCancel((id, exp) => encodeWhitelistCancelStatement(dev.deviceId, 'wp-other', id, exp)),
    );
    assert.equal(r.status, 403, JSON.stringify(r.json));
    const seq = auditSeqOf(r);
    assert.equal(seq, before + 1, 'the answer names the new entry');
    const e = await entryAt(seq);
    assert.equal(e.kind, 'refusal');
    assert.equal(e.command, 'whitelist.cancel');
    assert.equal(e.code, 'denied');
    assert.equal(e.requester, 'admin-1');
    assert.equal(e.subject, proposalId);
    assert.equal((e.details as CborMap).why, 'bad_signature');
    const list = await dev.request('GET', '/v1/whitelist', dev.tokens.orchestrator);
    assert.ok(
      (list.json.entries as { address: string }[]).some((x) => x.address === recipient),
      'the entry is still on the whitelist',
    );
  });

  test('a policy-proposal cancel with a bad signature is refused with an audit entry, and the proposal stays', async () => {
    const loosened = testPolicyJson(dev.people, { holdSeconds: 3600 });
    loosened.groups.hot!.assets[`${CHAIN_ID}:native`]!.perTxMax = (20n * ETH).toString();
    const proposed = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: loosened });
    assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
    const pid = String(proposed.json.proposalId);
    const before = await head();
    const r = await dev.request(
      'POST',
      `/v1/policy/proposals/${pid}/cancel`,
      dev.tokens.admin,
      badCancel((id, exp) => encodePolicyCancelStatement(dev.deviceId, 'pp-other', id, exp)),
    );
    assert.equal(r.status, 403, JSON.stringify(r.json));
    const seq = auditSeqOf(r);
    assert.equal(seq, before + 1);
    const e = await entryAt(seq);
    assert.deepEqual([e.kind, e.command, e.code, e.requester, e.subject, (e.details as CborMap).why], ['refusal', 'policy.cancel', 'denied', 'admin-1', pid, 'bad_signature']);
    const after = await dev.request('GET', `/v1/policy/proposals/${pid}`, dev.tokens.auditor);
    assert.equal(after.json.status, 'pending', 'not cancelled');
  });

  test('a duplicate approval is audited as a rejected approval (why: duplicate), and still counts once', async () => {
    const keyId = String(dev.keys[1]?.keyId);
    const pending = await dev.request(
      'POST',
      '/v1/sign/evm-transaction',
      dev.tokens.orchestrator,
      { keyId, transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce: 1, to: recipient, value: (2n * ETH).toString(), gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' } },
      { 'Idempotency-Key': 'dup-1' },
    );
    assert.equal(pending.status, 202, JSON.stringify(pending.json));
    const bob = dev.people.approvers[1]!;
    const once = await dev.request('POST', '/v1/requests/dup-1/approvals', dev.tokens.approver, approvalBody(bob, dev.deviceId, String(pending.json.intentDigest)));
    assert.equal(once.status, 202);
    const before = await head();
    const twice = await dev.request('POST', '/v1/requests/dup-1/approvals', dev.tokens.approver, approvalBody(bob, dev.deviceId, String(pending.json.intentDigest)));
    assert.equal(twice.status, 202, 'the answer is the request as it stands');
    assert.deepEqual(twice.json.approvedBy, ['bob'], 'counted once');
    const added = await entries(before + 1);
    assert.equal(added.length, 1, 'one entry for the duplicate');
    assert.deepEqual([added[0]?.kind, added[0]?.requestId, added[0]?.outcome, added[0]?.rejectedApprovals], ['request.approve', 'dup-1', 'rejected', [{ approverId: 'bob', why: 'duplicate' }]]);
  });

  test('an idempotency conflict is refused with an audit entry naming the request id', async () => {
    const keyId = String(dev.keys[1]?.keyId);
    const tx = (value: bigint) => ({
      keyId,
      transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce: 2, to: recipient, value: value.toString(), gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' },
    });
    const first = await dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, tx(2n * ETH), { 'Idempotency-Key': 'idem-1' });
    assert.equal(first.status, 202);
    const before = await head();
    const other = await dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, tx(3n * ETH), { 'Idempotency-Key': 'idem-1' });
    assert.equal(other.status, 422, JSON.stringify(other.json)); // the IETF Idempotency-Key draft's status for a reused key
    const seq = auditSeqOf(other);
    assert.equal(seq, before + 1);
    const e = await entryAt(seq);
    assert.deepEqual([e.kind, e.command, e.code, e.subject, e.requester], ['refusal', 'sign.evm-tx', 'conflict', 'idem-1', 'orchestrator']);
  });

  test('a decoder refusal of a well-framed command is audited with its typed code and field', async () => {
    const before = await head();
    const err = await dev.client
      .call('sign.evm-tx', { requestId: 'dec-1', requester: 'orchestrator', keyId: String(dev.keys[0]?.keyId), tx: { type: 'eip1559', chainId: BigInt(CHAIN_ID), nonce: 'zero' } })
      .then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof ApplianceError && err.code === 'bad_request', String(err));
    const seq = Number(err.details?.auditSeq);
    assert.equal(seq, before + 1);
    const e = await entryAt(seq);
    assert.deepEqual([e.kind, e.command, e.code, e.subject], ['refusal', 'sign.evm-tx', 'bad_request', 'dec-1']);
    assert.match(String(e.message), /"nonce"/);
  });

  test('a flood of 1,000 identical refusals adds one entry at once and one counted entry (999 repeats) when the device closes', async () => {
    const before = await head();
    // admin-2 this time, so the count is this flood's alone.
    const body = badCancel((id, exp) => encodeWhitelistCancelStatement(dev.deviceId, 'wp-flood', id, exp), 1);
    const seqs: number[] = [];
    for (let i = 0; i < 1000; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => dev.request('POST', `/v1/whitelist/proposals/${proposalId}/cancel`, dev.tokens.admin, body)));
      for (const r of batch) {
        assert.equal(r.status, 403);
        seqs.push(auditSeqOf(r));
      }
    }
    assert.equal(await head(), before + 1, 'the flood added one entry so far');
    assert.ok(
      seqs.every((s) => s === before + 1),
      'every refusal names the first entry',
    );
    await dev.restartAppliance('SIGTERM'); // a clean stop writes the pending count
    const added = await entries(before + 1);
    assert.deepEqual(
      added.map((e) => e.kind),
      ['refusal', 'refusal.repeated'],
    );
    const [first, counted] = added;
    assert.equal(counted?.repeats, 999);
    assert.equal(counted?.firstSeq, before + 1);
    assert.equal(counted?.command, 'whitelist.cancel');
    assert.deepEqual(counted?.refusalDigest, first?.refusalDigest);
    assert.ok(Number(counted?.lastAt) >= Number(counted?.firstAt));
  });

  test('a crash loses only the counts not yet written: the first entry of each refusal is durable before its answer', async () => {
    const before = await head();
    const body = badCancel((id, exp) => encodeWhitelistCancelStatement(dev.deviceId, 'wp-crash', id, exp), 2);
    for (let i = 0; i < 20; i++) assert.equal((await dev.request('POST', `/v1/whitelist/proposals/${proposalId}/cancel`, dev.tokens.admin, body)).status, 403);
    await dev.restartAppliance('SIGKILL');
    const added = await entries(before + 1);
    assert.deepEqual(
      added.map((e) => e.kind),
      ['refusal'],
      'the first entry survived; the 19 counted repeats were in memory only',
    );
    // After the restart the same refusal starts a new count with a new first entry.
    const again = await dev.request('POST', `/v1/whitelist/proposals/${proposalId}/cancel`, dev.tokens.admin, body);
    assert.equal(auditSeqOf(again), before + 2);
  });
});
