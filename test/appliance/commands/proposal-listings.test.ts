// whitelist.proposals, whitelist.proposal and policy.proposals through the dispatcher on an in-process
// device (real SoftHSM2 token): what approvers review. Pending whitelist proposals are listed until
// their quorum, then under status accepted; one reads as whitelist.approve answers it; an open policy
// proposal is listed without its changes; unknown ids are not_found and bad arguments bad_request.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dispatch } from '../../../appliance/dispatch.js';
import { encodePolicy } from '../../../firmware-policy/policy-document.js';
import { policyFromJson } from '../../../host-bridge/policy-json.js';
import { CHAIN_ID, testPolicyJson } from '../../helpers/test-device.js';
import { openInProcessDevice, typedError, whitelistApproval, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;
const ids = (r: Record<string, unknown>) => (r.proposals as { proposalId: string }[]).map((p) => p.proposalId);

describe('proposal listings', () => {
  before(async () => {
    d = await openInProcessDevice();
  });
  after(() => d?.close());

  test('whitelist proposals: pending ones listed oldest first until the quorum, then accepted; one reads as approve answers it', async () => {
    const propose = () => dispatch(d.dev, 'whitelist.propose', { requester: 'admin-3', group: 'hot', chainId: BigInt(CHAIN_ID), address: new Uint8Array(randomBytes(20)), label: 'payee' });
    const p1 = await propose();
    d.clock.advance(1);
    const p2 = await propose();
    assert.deepEqual(ids(await dispatch(d.dev, 'whitelist.proposals', {})), [p1.proposalId, p2.proposalId]);
    assert.deepEqual(ids(await dispatch(d.dev, 'whitelist.proposals', { limit: 1, offset: 1 })), [p2.proposalId]);
    const [a1, a2] = d.people.admins;
    await dispatch(d.dev, 'whitelist.approve', whitelistApproval(d, p1, a1!));
    const accepted = await dispatch(d.dev, 'whitelist.approve', whitelistApproval(d, p1, a2!));
    assert.equal(accepted.status, 'accepted');
    assert.deepEqual(ids(await dispatch(d.dev, 'whitelist.proposals', {})), [p2.proposalId]);
    assert.deepEqual(ids(await dispatch(d.dev, 'whitelist.proposals', { status: 'accepted' })), [p1.proposalId]);
    assert.deepEqual(await dispatch(d.dev, 'whitelist.proposal', { proposalId: String(p1.proposalId) }), accepted);
    const pending = await dispatch(d.dev, 'whitelist.proposal', { proposalId: String(p2.proposalId) });
    assert.equal(pending.status, 'pending');
    assert.equal((pending.statement as Record<string, unknown>).type, 'whitelist-add');
    await assert.rejects(dispatch(d.dev, 'whitelist.proposal', { proposalId: 'no-such' }), typedError('not_found'));
    await assert.rejects(dispatch(d.dev, 'whitelist.proposals', { status: 'maybe' }), typedError('bad_request', { field: 'status' }));
    await assert.rejects(dispatch(d.dev, 'whitelist.proposals', { limit: 0 }), typedError('bad_request', { field: 'limit' }));
  });

  test('policy proposals: an open one is listed with its tally and statement, without its changes', async () => {
    assert.deepEqual(ids(await dispatch(d.dev, 'policy.proposals', {})), []);
    const active = d.dev.policies.current();
    const json = testPolicyJson(d.people, { holdSeconds: 60 });
    const next = policyFromJson(json, d.dev.config.deviceId, active.doc.version + 1, active.hash);
    const proposal = await dispatch(d.dev, 'policy.propose', { requester: 'admin-3', document: encodePolicy(next) });
    const listed = (await dispatch(d.dev, 'policy.proposals', {})).proposals as Record<string, unknown>[];
    assert.deepEqual(
      listed.map((p) => p.proposalId),
      [proposal.proposalId],
    );
    assert.equal(listed[0]?.status, 'pending');
    assert.equal(listed[0]?.changeCount, proposal.changeCount);
    assert.equal('changes' in listed[0]!, false);
    assert.equal((listed[0]?.statement as Record<string, unknown>).type, 'policy-change');
    await assert.rejects(dispatch(d.dev, 'policy.proposals', { limit: 51 }), typedError('bad_request'));
  });
});
