// Issue 11 item 6 through the real parts (SoftHSM2 token, appliance process, bridge): the policy's
// maximum approval lifetime (default 24 h) — an approval expiring further ahead does not count, for
// transfer approvers and admins alike — and a fresh approval replaces the same approver's expired
// one, audited, instead of the request stalling. Device time is moved by restarting the appliance
// with its clock offset, never by waiting.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { CborMap } from '../../protocol/cbor.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { signStatement } from '../../cli/approver-key.js';
import { encodeWhitelistStatement } from '../../firmware-policy/whitelist-governance.js';
import { approvalBody, CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

const TEN_YEARS = 10 * 365 * 86_400;
let dev: TestDevice;
let keyId: string;
let nonce = 0;
/** Seconds the device clock runs ahead of this process's (moved by restarting the appliance). */
let offset = 0;
const deviceNow = () => Math.floor(Date.now() / 1000) + offset;
const recipient = privateKeyToAccount(generatePrivateKey()).address;

function auditEntries(): CborMap[] {
  const db = new Database(dev.paths.stateDb, { readonly: true });
  try {
    return (db.prepare('SELECT entry FROM audit ORDER BY seq').all() as { entry: Buffer }[]).map((r) => entryPayload(new Uint8Array(r.entry)));
  } finally {
    db.close();
  }
}

async function pendingTransfer(tag: string): Promise<{ requestId: string; digest: string }> {
  const requestId = `${tag}-${Date.now()}`;
  const tx = {
    type: 'eip1559',
    chainId: CHAIN_ID,
    nonce: nonce++,
    to: recipient,
    value: (2n * ETH).toString(),
    gasLimit: 21000,
    maxFeePerGas: '20000000000',
    maxPriorityFeePerGas: '1000000000',
    data: '0x',
  };
  const res = await dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId, transaction: tx }, { 'Idempotency-Key': requestId });
  assert.equal(res.status, 202, JSON.stringify(res.json));
  assert.equal(res.json.required, 2);
  return { requestId, digest: String(res.json.intentDigest) };
}

const approve = (requestId: string, body: unknown) => dev.request('POST', `/v1/requests/${requestId}/approvals`, dev.tokens.approver, body);
const message = (r: { json: Record<string, unknown> }) => String((problemFields(r.json) as { message?: string } | undefined)?.message);

describe('approval lifetime (issue 11 item 6)', () => {
  before(async () => {
    dev = await startTestDevice({ policy: (p) => testPolicyJson(p, { holdSeconds: 0 }) });
    keyId = String(dev.keys[0]?.keyId);
    await whitelist(dev, recipient);
  });

  after(async () => {
    await dev?.stop();
  });

  test('a transfer approval expiring in 10 years does not count: 403 lifetime_too_long, audited, the request still needs both', async () => {
    const { requestId, digest } = await pendingTransfer('ten-years');
    const bob = dev.people.approvers[1]!;
    const r = await approve(requestId, approvalBody(bob, dev.deviceId, digest, deviceNow() + TEN_YEARS));
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.match(message(r), /lifetime_too_long/);
    const entry = auditEntries().find((e) => e.requestId === requestId && e.kind === 'request.approve');
    assert.ok(entry, 'the refusal is audited');
    assert.equal(entry.outcome, 'rejected');
    assert.deepEqual(entry.rejectedApprovals, [{ approverId: 'bob', why: 'lifetime_too_long' }]);
    const state = await dev.request('GET', `/v1/requests/${requestId}`, dev.tokens.orchestrator);
    assert.equal(state.json.status, 'pending_approval');
    assert.deepEqual(state.json.approvedBy, []);
    // just past the 24 h default is refused too; within it counts
    const past = await approve(requestId, approvalBody(bob, dev.deviceId, digest, deviceNow() + 86_400 + 300));
    assert.equal(past.status, 403);
    assert.match(message(past), /lifetime_too_long/);
    const ok = await approve(requestId, approvalBody(bob, dev.deviceId, digest, deviceNow() + 3600));
    assert.equal(ok.status, 202, JSON.stringify(ok.json));
    assert.deepEqual(ok.json.approvedBy, ['bob']);
  });

  test('an admin approval of a whitelist entry expiring in 10 years does not count either', async () => {
    const address = privateKeyToAccount(generatePrivateKey()).address;
    const proposed = await dev.request('POST', '/v1/whitelist/proposals', dev.tokens.admin, { group: 'hot', chainId: CHAIN_ID, address, label: 'far future' });
    assert.equal(proposed.status, 201);
    const id = String(proposed.json.proposalId);
    const admin = dev.people.admins[0]!;
    const expiresAt = deviceNow() + TEN_YEARS;
    const statement = encodeWhitelistStatement(
      dev.deviceId,
      { id, group: 'hot', chainId: BigInt(CHAIN_ID), address: Buffer.from(address.slice(2), 'hex'), label: 'far future', proposedBy: '' },
      admin.id,
      expiresAt,
    );
    const r = await dev.request('POST', `/v1/whitelist/proposals/${id}/approvals`, dev.tokens.admin, {
      adminId: admin.id,
      expiresAt,
      signature: '0x' + Buffer.from(signStatement(admin, statement)).toString('hex'),
    });
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.match(message(r), /lifetime_too_long/);
    const entry = auditEntries().find((e) => e.kind === 'whitelist.approve' && e.proposalId === id);
    assert.deepEqual(entry?.rejectedApprovals, [{ approverId: admin.id, why: 'lifetime_too_long' }]);
  });

  test("a fresh approval replaces the same approver's expired one (audited); a repeat of a valid one changes nothing", async () => {
    const { requestId, digest } = await pendingTransfer('replace');
    const [, bob, carol] = dev.people.approvers;
    const stale = deviceNow() + 60;
    const first = await approve(requestId, approvalBody(bob!, dev.deviceId, digest, stale));
    assert.equal(first.status, 202);
    assert.deepEqual(first.json.approvedBy, ['bob']);

    // Two minutes later on the device's clock, bob's approval has expired.
    offset = 120;
    await dev.restartAppliance('SIGTERM', undefined, { HSM_CLOCK_OFFSET_SECONDS: String(offset) });
    const c = await approve(requestId, approvalBody(carol!, dev.deviceId, digest, deviceNow() + 600));
    assert.equal(c.status, 202, JSON.stringify(c.json));
    assert.deepEqual(c.json.approvedBy, ['carol'], "bob's expired approval no longer counts");

    // carol again, while hers is valid: nothing changes; the refused duplicate is audited, once
    const seqBefore = auditEntries().length;
    const again = await approve(requestId, approvalBody(carol!, dev.deviceId, digest, deviceNow() + 900));
    assert.equal(again.status, 202);
    assert.deepEqual(again.json.approvedBy, ['carol']);
    const added = auditEntries().slice(seqBefore);
    assert.equal(added.length, 1);
    assert.equal(added[0]?.kind, 'request.approve');
    assert.deepEqual(added[0]?.rejectedApprovals, [{ approverId: 'carol', why: 'duplicate' }]);

    // bob's fresh approval replaces his expired one: the quorum is met and the transfer is signed
    const fresh = deviceNow() + 600;
    const b = await approve(requestId, approvalBody(bob!, dev.deviceId, digest, fresh));
    assert.equal(b.status, 200, JSON.stringify(b.json));
    assert.equal(b.json.status, 'signed');
    assert.deepEqual(b.json.approvedBy, ['carol', 'bob']);
    const entry = auditEntries().find((e) => e.seq === b.json.auditSeq);
    assert.ok(entry);
    assert.equal(entry.kind, 'request.approve');
    assert.equal(entry.result, 'signed');
    assert.deepEqual(entry.replacedApproval, { approverId: 'bob', expiresAt: stale, why: 'expired' });
    assert.deepEqual(
      (entry.approvals as CborMap[]).map((a) => [a.approverId, a.expiresAt]),
      [
        ['carol', (entry.approvals as CborMap[])[0]!.expiresAt],
        ['bob', fresh],
      ],
      'the entry carries the fresh approval, not the expired one',
    );
  });
});
