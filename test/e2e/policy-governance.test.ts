// Policy governance through the real appliance (DESIGN.md invariant 5): a loosening waits for the
// admin quorum and the time lock; a tightening applies at once; a removed approver's approval stops
// counting on a pending request; turning the whitelist off waits the group's hold; a diff is readable.
// Time passes only on the device's own clock, moved by admin time statements (advanceDeviceTime),
// never by waiting: each check before a time lock or hold runs well inside it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { signStatement } from '../../cli/approver-key.js';
import { encodePolicyChangeStatement } from '../../firmware-policy/policy-governance.js';
import { encodeWhitelistCancelStatement } from '../../firmware-policy/whitelist-governance.js';
import Database from 'better-sqlite3';
import type { CborMap } from '../../protocol/cbor.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { advanceDeviceTime, approvalBody, CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

let dev: TestDevice;
let policy: PolicyJson;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;
let n = 0;
/** The whitelist hold and the loosening time lock, in device seconds (their sum of advances stays under the device's 300 s tolerance). */
const HOLD = 60;
const LOCK = 30;

function basePolicy(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p, { holdSeconds: HOLD });
  return { ...j, changeDelaySeconds: LOCK };
}
const asset = (j: PolicyJson) => j.groups.hot!.assets[`${CHAIN_ID}:native`]!;
const clone = (j: PolicyJson) => JSON.parse(JSON.stringify(j)) as PolicyJson;

const sign = (value: bigint, to = recipient, key = `pg-${n++}`) =>
  dev.request(
    'POST',
    '/v1/sign/evm-transaction',
    dev.tokens.orchestrator,
    {
      keyId: String(dev.keys[0]?.keyId),
      transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce: n, to, value: value.toString(), gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' },
    },
    { 'Idempotency-Key': key },
  );

/** Proposes `next` and has two admins approve it; returns the proposal after the quorum. */
async function change(next: PolicyJson, approvers = 2) {
  const proposed = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: next });
  assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
  const st = proposed.json.statement as { proposalId: string; version: number; hash: string };
  let last = proposed.json;
  for (const admin of dev.people.admins.slice(0, approvers)) {
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const sig = signStatement(
      admin,
      encodePolicyChangeStatement(dev.deviceId, { id: st.proposalId, version: st.version, hash: Buffer.from(st.hash.slice(2), 'hex'), proposedBy: '' }, admin.id, expiresAt),
    );
    const r = await dev.request('POST', `/v1/policy/proposals/${st.proposalId}/approvals`, dev.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    last = r.json;
  }
  return last;
}
const activeVersion = async () => Number((await dev.request('GET', '/v1/policy', dev.tokens.auditor)).json.version);
const codes = (r: { json: Record<string, unknown> }) => ((r.json.reasons ?? []) as { code: string }[]).map((x) => x.code);

function auditEntries(): CborMap[] {
  const db = new Database(dev.paths.stateDb, { readonly: true });
  try {
    return (db.prepare('SELECT entry FROM audit ORDER BY seq').all() as { entry: Buffer }[]).map((r) => entryPayload(new Uint8Array(r.entry)));
  } finally {
    db.close();
  }
}

/**
 * Waits (bounded) until the appliance has activated proposal `pid` by itself: its timer checks due
 * proposals every second of its run. This waits for that event, not for time to pass: the device's
 * time is already past the time lock. Asserts the activation was the appliance's own (no requester).
 */
async function activatedByTheAppliance(pid: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const p = await dev.request('GET', `/v1/policy/proposals/${pid}`, dev.tokens.auditor);
    if (p.json.status === 'active') break;
    assert.equal(p.json.status, 'scheduled', JSON.stringify(p.json));
    if (Date.now() > deadline) assert.fail(`proposal ${pid} was not activated by the appliance within 15 s of its time lock passing`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const entry = auditEntries().find((e) => e.kind === 'policy.activate' && e.proposalId === pid);
  assert.ok(entry, 'the activation is audited');
  assert.equal(entry.requester, undefined, 'activated by the appliance, not on request');
}

describe('policy governance', () => {
  before(async () => {
    dev = await startTestDevice({ policy: basePolicy });
    policy = basePolicy(dev.people);
    await whitelist(dev, recipient);
    await advanceDeviceTime(dev, HOLD);
  });
  after(async () => {
    await dev?.stop();
  });

  test('a policy loosening has no effect before the quorum and the time lock, and takes effect after', async () => {
    assert.deepEqual(codes(await sign(15n * ETH)), ['per_tx_limit']);
    const looser = clone(policy);
    asset(looser).perTxMax = (20n * ETH).toString();
    const proposed = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: looser });
    assert.equal(proposed.json.stricter, false);
    assert.deepEqual(codes(await sign(15n * ETH)), ['per_tx_limit'], 'no effect while proposed');
    const pid = String(proposed.json.proposalId);
    const st = proposed.json.statement as { version: number; hash: string };
    const admin = dev.people.admins[0]!;
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const sig = signStatement(admin, encodePolicyChangeStatement(dev.deviceId, { id: pid, version: st.version, hash: Buffer.from(st.hash.slice(2), 'hex'), proposedBy: '' }, admin.id, expiresAt));
    const one = await dev.request('POST', `/v1/policy/proposals/${pid}/approvals`, dev.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
    assert.equal(one.json.status, 'pending');
    assert.deepEqual(codes(await sign(15n * ETH)), ['per_tx_limit'], 'no effect with one admin');
    // Second admin: quorum; the time lock still holds it back.
    const admin2 = dev.people.admins[1]!;
    const sig2 = signStatement(admin2, encodePolicyChangeStatement(dev.deviceId, { id: pid, version: st.version, hash: Buffer.from(st.hash.slice(2), 'hex'), proposedBy: '' }, admin2.id, expiresAt));
    const two = await dev.request('POST', `/v1/policy/proposals/${pid}/approvals`, dev.tokens.admin, { adminId: admin2.id, expiresAt, signature: '0x' + Buffer.from(sig2).toString('hex') });
    assert.equal(two.json.status, 'scheduled');
    assert.equal(Number(two.json.activateAfter) - Number(two.json.quorumAt), LOCK);
    const early = await dev.request('POST', `/v1/policy/proposals/${pid}/activate`, dev.tokens.admin, {});
    assert.equal(early.status, 409, JSON.stringify(early.json));
    const earlyError = problemFields(early.json) as { code: string; details: { activateAfter: number } };
    assert.equal(earlyError.code, 'conflict');
    assert.equal(earlyError.details.activateAfter, two.json.activateAfter, 'the refusal names when the time lock ends');
    assert.equal(await activeVersion(), 1, 'the refused activation changed nothing');
    assert.deepEqual(codes(await sign(15n * ETH)), ['per_tx_limit'], 'no effect with the quorum, inside the time lock');
    await advanceDeviceTime(dev, LOCK);
    await activatedByTheAppliance(pid);
    assert.equal(await activeVersion(), 2);
    assert.equal((await sign(15n * ETH)).status, 202, 'now only the approval tier applies');
    policy = looser;

    const diff = await dev.request('GET', '/v1/policy/versions/2/diff', dev.tokens.auditor);
    assert.equal(diff.status, 200);
    assert.equal(diff.json.stricter, false);
    assert.ok(
      (diff.json.changes as { path: string }[]).some((c) => c.path.includes('perTxMax')),
      JSON.stringify(diff.json.changes),
    );
    assert.match(String(diff.json.markdown), /perTxMax/);
  });

  test('a tightening takes effect at once, as soon as the quorum is met', async () => {
    assert.equal((await sign(6n * ETH)).status, 202);
    const stricter = clone(policy);
    asset(stricter).perTxMax = (5n * ETH).toString();
    const done = await change(stricter);
    assert.equal(done.status, 'active');
    assert.deepEqual(codes(await sign(6n * ETH)), ['per_tx_limit']);
    policy = stricter;
  });

  test("a removed approver's approval stops counting, even on a request already pending", async () => {
    const key = `pending-${n}`;
    const pending = await sign(2n * ETH, recipient, key);
    assert.equal(pending.status, 202);
    const digest = String(pending.json.intentDigest);
    const [alice, bob, carol] = dev.people.approvers;
    const viaCarol = await dev.request('POST', `/v1/requests/${key}/approvals`, dev.tokens.approver, approvalBody(carol!, dev.deviceId, digest));
    assert.deepEqual(viaCarol.json.approvedBy, ['carol']);
    const withoutCarol = clone(policy);
    withoutCarol.approvers = withoutCarol.approvers.filter((a) => a.id !== 'carol');
    assert.equal((await change(withoutCarol)).status, 'active', 'removing an approver tightens, so it applies at once');
    policy = withoutCarol;
    const viaBob = await dev.request('POST', `/v1/requests/${key}/approvals`, dev.tokens.approver, approvalBody(bob!, dev.deviceId, digest));
    assert.equal(viaBob.status, 202, 'carol no longer counts: bob alone is one of two');
    assert.deepEqual(viaBob.json.approvedBy, ['bob']);
    const viaAlice = await dev.request('POST', `/v1/requests/${key}/approvals`, dev.tokens.approver, approvalBody(alice!, dev.deviceId, digest));
    assert.equal(viaAlice.status, 200, JSON.stringify(viaAlice.json));
    assert.deepEqual([...(viaAlice.json.approvedBy as string[])].sort(), ['alice', 'bob']);
  });

  test('an admin quorum cancels a whitelist entry during its hold', async () => {
    const suspicious = privateKeyToAccount(generatePrivateKey()).address;
    const proposal = await whitelist(dev, suspicious);
    assert.equal(proposal.status, 'accepted');
    const id = String(proposal.proposalId);
    const cancel = async (i: number) => {
      const admin = dev.people.admins[i]!;
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const sig = signStatement(admin, encodeWhitelistCancelStatement(dev.deviceId, id, admin.id, expiresAt));
      return dev.request('POST', `/v1/whitelist/proposals/${id}/cancel`, dev.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
    };
    assert.equal((await cancel(0)).json.status, 'pending', 'one admin is not the quorum');
    assert.equal((await cancel(1)).json.status, 'cancelled');
    await advanceDeviceTime(dev, HOLD);
    assert.deepEqual(codes(await sign(1000n, suspicious)), ['not_whitelisted'], 'the cancelled entry never becomes usable');
    const listed = ((await dev.client.call('whitelist.list', {})).entries as { proposalId: string }[]).find((e) => e.proposalId === id);
    assert.equal(listed, undefined, 'the device lists no entry for the cancelled proposal, past its hold');
  });

  test("turning off the whitelist requirement waits the group's hold, not just the time lock", async () => {
    assert.deepEqual(codes(await sign(1000n, stranger)), ['not_whitelisted']);
    const open = clone(policy);
    open.groups.hot!.whitelistRequired = false;
    const scheduled = await change(open);
    assert.equal(scheduled.status, 'scheduled');
    assert.equal(Number(scheduled.activateAfter) - Number(scheduled.quorumAt), HOLD, 'the hold, longer than the time lock');
    await advanceDeviceTime(dev, LOCK);
    assert.deepEqual(codes(await sign(1000n, stranger)), ['not_whitelisted'], 'still required after the time lock alone');
    assert.equal((await dev.request('GET', `/v1/policy/proposals/${String(scheduled.proposalId)}`, dev.tokens.auditor)).json.status, 'scheduled');
    await advanceDeviceTime(dev, HOLD - LOCK);
    await activatedByTheAppliance(String(scheduled.proposalId));
    assert.equal((await sign(1000n, stranger)).status, 200);
  });
});
