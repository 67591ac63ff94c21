// request.approve through the dispatcher on an in-process device (real SoftHSM2 token, test clock):
// approvals over a pending transfer's intent digest count one per approver until the tier's quorum,
// which signs it; expired, forged, self- and unknown approvals are typed refusals, audited.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dispatch } from '../../../appliance/dispatch.js';
import { ETH } from '../../helpers/test-device.js';
import { openInProcessDevice, requestApproval, transfer, typedError, whitelistAddress, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;
let keyId: string;
const recipient = new Uint8Array(randomBytes(20));
let nonce = 0;

/** A 2 ETH transfer (above the 1 ETH tier: two approvals) requested by `requester`; returns its id and digest. */
async function pending(requestId: string, requester = 'orchestrator'): Promise<Uint8Array> {
  const r = await dispatch(d.dev, 'sign.evm-tx', { requestId, requester, keyId, tx: transfer(recipient, 2n * ETH, nonce++) });
  assert.equal(r.status, 'pending_approval');
  return r.intentDigest as Uint8Array;
}

describe('request.approve', () => {
  before(async () => {
    d = await openInProcessDevice();
    keyId = String(d.keys[0]?.keyId);
    await whitelistAddress(d, recipient);
    d.clock.advance(2);
  });
  after(() => d?.close());

  test('one approval is counted and the request still waits; the second signs it; approving again changes nothing', async () => {
    const digest = await pending('two-of-three');
    const [, bob, carol] = d.people.approvers;
    const one = await dispatch(d.dev, 'request.approve', requestApproval(d, 'two-of-three', digest, bob!));
    assert.equal(one.status, 'pending_approval');
    assert.deepEqual(one.approvedBy, ['bob']);
    const again = await dispatch(d.dev, 'request.approve', requestApproval(d, 'two-of-three', digest, bob!));
    assert.deepEqual(again.approvedBy, ['bob'], 'the same approver counts once');
    const two = await dispatch(d.dev, 'request.approve', requestApproval(d, 'two-of-three', digest, carol!));
    assert.equal(two.status, 'signed');
    assert.deepEqual([...(two.approvedBy as string[])].sort(), ['bob', 'carol']);
    assert.deepEqual(await dispatch(d.dev, 'request.approve', requestApproval(d, 'two-of-three', digest, d.people.approvers[0]!)), two, 'a signed request answers as signed');
  });

  test('an approval that expired on the device clock is denied (why: expired) and audited', async () => {
    const digest = await pending('expired');
    const args = requestApproval(d, 'expired', digest, d.people.approvers[1]!, d.dev.deviceClock.host() + 60);
    d.clock.advance(61);
    await assert.rejects(dispatch(d.dev, 'request.approve', args), typedError('denied', { why: 'expired', approverId: 'bob' }));
    const entry = d.dev.audit.list(d.dev.audit.head().seq, 1, 1 << 20)[0];
    assert.ok(entry, 'the refusal is the last audit entry');
  });

  test('a signature over another digest is denied as bad_signature', async () => {
    await pending('forged');
    const args = requestApproval(d, 'forged', new Uint8Array(32).fill(7), d.people.approvers[1]!);
    await assert.rejects(dispatch(d.dev, 'request.approve', args), typedError('denied', { why: 'bad_signature' }));
  });

  test('the requester cannot approve its own request', async () => {
    const digest = await pending('own', 'alice');
    await assert.rejects(dispatch(d.dev, 'request.approve', requestApproval(d, 'own', digest, d.people.approvers[0]!)), typedError('denied', { why: 'requester_cannot_approve', approverId: 'alice' }));
  });

  test('an approver the policy does not name is denied; an unknown request is not_found', async () => {
    const digest = await pending('stranger');
    const stranger = { ...d.people.approvers[1]!, id: 'mallory' };
    await assert.rejects(dispatch(d.dev, 'request.approve', requestApproval(d, 'stranger', digest, stranger)), typedError('denied', { why: 'unknown_approver' }));
    await assert.rejects(dispatch(d.dev, 'request.approve', requestApproval(d, 'no-such-request', digest, d.people.approvers[1]!)), typedError('not_found'));
  });
});
