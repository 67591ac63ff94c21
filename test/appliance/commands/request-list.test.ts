// request.list through the dispatcher on an in-process device (real SoftHSM2 token, test clock): the
// pending requests newest first, a page at a time (limit, after); a requester lists only its own, a
// viewer without the role it names nothing; a signed request leaves the list; and what each item
// says the appliance decoded is what its own audit entry of the hold records.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { decodeCoseSign1 } from '../../../attestation/cose-sign1.js';
import { dispatch } from '../../../appliance/dispatch.js';
import { ETH, testPolicyJson } from '../../helpers/test-device.js';
import { openInProcessDevice, requestApproval, transfer, whitelistAddress, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;
let keyId: string;
const recipient = new Uint8Array(randomBytes(20));
const stranger = new Uint8Array(randomBytes(20));
let nonce = 0;

type Item = CborMap & { requestId: string; decoded: CborMap & { auditSeq: number; intent: CborMap; reasons: CborMap[]; recipientLabels: CborMap[] } };
const list = async (args: CborMap = {}) => (await dispatch(d.dev, 'request.list', args)) as { requests: Item[]; next: string | null };
const ids = (r: { requests: Item[] }) => r.requests.map((q) => q.requestId);

/** A transfer above the 1 ETH tier (held for two approvals), one device second after the previous one. */
async function hold(requestId: string, requester: string, to = recipient, value = 2n * ETH): Promise<CborMap> {
  d.clock.advance(1);
  const r = await dispatch(d.dev, 'sign.evm-tx', { requestId, requester, keyId, tx: transfer(to, value, nonce++) });
  assert.equal(
    r.status,
    'pending_approval',
    JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
  );
  return r;
}

/** The payload of the audit entry at `seq`, decoded from the signed entry the appliance stored. */
function auditPayload(seq: number): CborMap {
  const stored = d.dev.audit.list(seq, 1)[0];
  assert.equal(stored?.seq, seq);
  return decodeCanonical(decodeCoseSign1(stored.entry).payload ?? new Uint8Array()) as CborMap;
}

describe('request.list', () => {
  before(async () => {
    // No whitelist requirement, so a transfer to an address on no list is held for approval too.
    d = await openInProcessDevice({
      policy: (p) => {
        const j = testPolicyJson(p);
        j.groups.hot!.whitelistRequired = false;
        return j;
      },
    });
    keyId = String(d.keys[0]?.keyId);
    await whitelistAddress(d, recipient);
    d.clock.advance(2);
    await hold('orch-1', 'orchestrator');
    await hold('alice-1', 'alice');
    await hold('orch-2', 'orchestrator', stranger, 3n * ETH);
    await hold('orch-3', 'orchestrator');
    await hold('alice-2', 'alice');
  });
  after(() => d?.close());

  test('pages newest first: limit cuts a page, next names its last, after continues past it', async () => {
    const first = await list({ limit: 2 });
    assert.deepEqual(ids(first), ['alice-2', 'orch-3']);
    assert.equal(first.next, 'orch-3');
    const second = await list({ limit: 2, after: first.next! });
    assert.deepEqual(ids(second), ['orch-2', 'alice-1']);
    const third = await list({ limit: 2, after: second.next! });
    assert.deepEqual(ids(third), ['orch-1']);
    assert.equal(third.next, null, 'the last page names no next');
    assert.deepEqual(ids(await list()), ['alice-2', 'orch-3', 'orch-2', 'alice-1', 'orch-1'], 'the default page holds them all');
    assert.deepEqual(ids(await list({ after: 'never-made' })), [], 'an unknown cursor lists nothing rather than starting over');
  });

  test('a requester lists only its own; an approver, auditor or admin every one; a viewer without the role nothing', async () => {
    assert.deepEqual(ids(await list({ viewer: 'orchestrator', role: 'requester' })), ['orch-3', 'orch-2', 'orch-1']);
    const alice = await list({ viewer: 'alice', role: 'requester', limit: 1 });
    assert.deepEqual(ids(alice), ['alice-2']);
    assert.deepEqual(ids(await list({ viewer: 'alice', role: 'requester', after: alice.next! })), ['alice-1'], 'paging keeps to her own');
    for (const [viewer, role] of [
      ['bob', 'approver'],
      ['auditor', 'auditor'],
      ['admin-1', 'admin'],
    ]) {
      assert.equal((await list({ viewer: viewer!, role: role! })).requests.length, 5, `${viewer} as ${role}`);
    }
    assert.deepEqual(ids(await list({ viewer: 'orchestrator', role: 'approver' })), [], 'the orchestrator is no approver');
    assert.deepEqual(ids(await list({ viewer: 'mallory', role: 'auditor' })), [], 'an id the policy does not know');
  });

  test("each item's decoded view is the appliance's own audit entry of the hold, with the whitelist's labels", async () => {
    const { requests } = await list();
    for (const q of requests) {
      const entry = auditPayload(q.decoded.auditSeq);
      assert.equal(q.auditSeq, q.decoded.auditSeq, 'the entry the pending answer names');
      assert.equal(entry.requestId, q.requestId);
      assert.equal(entry.outcome, 'needs_approval');
      assert.deepEqual(q.decoded.intent, entry.intent, q.requestId);
      assert.deepEqual(q.decoded.reasons, entry.reasons);
      assert.equal(q.decoded.keyGroup, 'hot');
      assert.equal(q.decoded.policyVersion, entry.policyVersion);
    }
    const orch2 = requests.find((q) => q.requestId === 'orch-2')!;
    assert.deepEqual(orch2.decoded.intent.to, stranger);
    assert.equal(orch2.decoded.intent.amount, 3n * ETH);
    assert.deepEqual(orch2.decoded.recipientLabels, [], 'the stranger is on no whitelist');
    const orch1 = requests.find((q) => q.requestId === 'orch-1')!;
    assert.deepEqual(orch1.decoded.intent.to, recipient);
    assert.deepEqual(orch1.decoded.recipientLabels, [{ group: 'hot', label: 'test recipient' }]);
    assert.ok(
      orch1.decoded.reasons.some((r) => r.rule === 'approval-tier' && r.code === 'needs_approval'),
      JSON.stringify(orch1.decoded.reasons),
    );
  });

  test('approvals so far show on the item; a request the quorum signs leaves the list', async () => {
    const [, bob, carol] = d.people.approvers;
    const digest = (await list()).requests.find((q) => q.requestId === 'orch-3')!.intentDigest as Uint8Array;
    await dispatch(d.dev, 'request.approve', requestApproval(d, 'orch-3', digest, bob!));
    const waiting = (await list()).requests.find((q) => q.requestId === 'orch-3')!;
    assert.deepEqual(
      (waiting.approvals as CborMap[]).map((a) => a.approverId),
      ['bob'],
    );
    const signed = await dispatch(d.dev, 'request.approve', requestApproval(d, 'orch-3', digest, carol!));
    assert.equal(signed.status, 'signed');
    assert.deepEqual(ids(await list()), ['alice-2', 'orch-2', 'alice-1', 'orch-1']);
    assert.deepEqual(ids(await list({ after: 'orch-3' })), ['orch-2', 'alice-1', 'orch-1'], 'a cursor on a request no longer pending still pages from its place');
  });
});
