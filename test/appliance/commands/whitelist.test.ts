// whitelist.propose and whitelist.approve through the dispatcher on an in-process device (real
// SoftHSM2 token, test clock): an admin's proposal waits for the admin quorum, which starts the
// group's hold on the device's clock; typed refusals for a non-admin, a bad group or chain, a bad
// or unknown approval.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dispatch } from '../../../appliance/dispatch.js';
import { CHAIN_ID } from '../../helpers/test-device.js';
import { openInProcessDevice, typedError, whitelistApproval, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;
const propose = (over: Record<string, unknown> = {}) =>
  dispatch(d.dev, 'whitelist.propose', { requester: 'admin-3', group: 'hot', chainId: BigInt(CHAIN_ID), address: new Uint8Array(randomBytes(20)), label: 'payee', ...over });

describe('whitelist.propose and whitelist.approve', () => {
  before(async () => {
    d = await openInProcessDevice();
  });
  after(() => d?.close());

  test('a proposal is pending until two admins approve; the quorum starts the 2 s hold on the device clock', async () => {
    const p = await propose();
    assert.equal(p.status, 'pending');
    assert.equal(p.required, 2);
    assert.equal(p.proposedBy, 'admin-3');
    assert.equal(p.activeAt, null);
    const [a1, a2] = d.people.admins;
    const one = await dispatch(d.dev, 'whitelist.approve', whitelistApproval(d, p, a1!));
    assert.equal(one.status, 'pending');
    d.clock.advance(5);
    const two = await dispatch(d.dev, 'whitelist.approve', whitelistApproval(d, p, a2!));
    assert.equal(two.status, 'accepted');
    assert.equal(two.quorumAt, d.dev.clock());
    assert.equal(two.activeAt, d.dev.clock() + 2);
    const listed = ((await dispatch(d.dev, 'whitelist.list', {})).entries as Record<string, unknown>[]).find((e) => e.proposalId === p.proposalId);
    assert.equal(listed?.inHold, true);
    d.clock.advance(2);
    const later = ((await dispatch(d.dev, 'whitelist.list', {})).entries as Record<string, unknown>[]).find((e) => e.proposalId === p.proposalId);
    assert.equal(later?.inHold, false);
  });

  test('propose: a requester who is not an admin is denied; a group or chain outside the policy is bad_request on that field', async () => {
    await assert.rejects(propose({ requester: 'orchestrator' }), typedError('denied', { requester: 'orchestrator', role: 'admin' }));
    await assert.rejects(propose({ group: 'cold' }), typedError('bad_request', { field: 'group' }));
    await assert.rejects(propose({ chainId: 1n }), typedError('bad_request', { field: 'chainId' }));
    await assert.rejects(propose({ address: new Uint8Array(21) }), typedError('bad_request', { field: 'address' }));
  });

  test('approve: a non-admin, an expired approval and a signature over another proposal are denied; an unknown proposal is not_found', async () => {
    const p = await propose();
    const approver = d.people.approvers[0]!; // an approver of transfers, not an admin
    await assert.rejects(dispatch(d.dev, 'whitelist.approve', whitelistApproval(d, p, approver)), typedError('denied', { why: 'unknown_approver' }));
    const stale = whitelistApproval(d, p, d.people.admins[0]!, d.dev.deviceClock.host() + 10);
    d.clock.advance(11);
    await assert.rejects(dispatch(d.dev, 'whitelist.approve', stale), typedError('denied', { why: 'expired' }));
    const other = await propose();
    const crossed = { ...whitelistApproval(d, other, d.people.admins[0]!), proposalId: String(p.proposalId) };
    await assert.rejects(dispatch(d.dev, 'whitelist.approve', crossed), typedError('denied', { why: 'bad_signature' }));
    await assert.rejects(dispatch(d.dev, 'whitelist.approve', { ...whitelistApproval(d, p, d.people.admins[0]!), proposalId: 'wp-none' }), typedError('not_found'));
    const still = await dispatch(d.dev, 'whitelist.approve', whitelistApproval(d, p, d.people.admins[0]!));
    assert.deepEqual(still.approvedBy, ['admin-1'], 'the refused approvals counted for nothing');
  });
});
