// request.approve (protocol/commands/request-approve.ts): add one approver's signed statement to a pending request. The approval is checked
// by the firmware policy before it is stored (one from the requester, an unknown approver, an expired
// one or one over another intent is refused and audited); once the tier's quorum is met, the request
// is signed in the same command. An approver's stored approval that no longer counts (it expired, or
// the policy's approval lifetime or approver set changed) is replaced by a fresh one that does, and
// the audit entry names what was replaced; a repeat of one that still counts changes nothing.
import { encodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError, IDEMPOTENCY_CONFLICTS } from '../../protocol/errors.js';
import type { RequestApproveArgs, RequestApproveResult } from '../../protocol/commands/request-approve.js';
import { tallyApprovals } from '../../firmware-policy/rules/approval-tier.js';
import { rejectedToCbor } from '../../firmware-policy/decision.js';
import type { Device } from '../device.js';
import { assertFirmwareApproved } from '../device.js';
import { contextFromRecord, decideAndAct, storedResponse } from '../signing-flow.js';

export async function requestApprove(dev: Device, { requestId, approval }: RequestApproveArgs): Promise<RequestApproveResult> {
  return dev.requestLocks.run(requestId, async () => {
    const rec = dev.requests.get(requestId);
    if (!rec) throw new ApplianceError('not_found', 'no such request');
    if (rec.status !== 'pending') {
      if (!rec.response) throw new ApplianceError('conflict', 'request is being signed', { code: IDEMPOTENCY_CONFLICTS.inProgress });
      const current = storedResponse(rec.response);
      if (rec.status === 'signed') return current; // approving a signed request changes nothing
      throw new ApplianceError('conflict', `request is ${rec.status}, not pending approval`, { status: rec.status });
    }
    assertFirmwareApproved(dev);
    const ctx = contextFromRecord(dev, rec);
    const already = dev.requests.approvals(requestId);
    const policy = dev.policies.current();
    const prior = already.find((a) => a.approverId === approval.approverId);
    const priorWhy = prior ? tallyApprovals(policy.doc, 1, ctx.digest, rec.requester, [prior], dev.time(), dev.view).rejected[0]?.why : undefined;
    if (prior && priorWhy === undefined) {
      // The same approver twice counts once: nothing changes, the current state is returned, and the
      // refused duplicate is audited (identical repeats counted, appliance/refusal-log.ts).
      dev.refusals.record({
        kind: 'request.approve',
        requestId,
        intentDigest: ctx.digest,
        outcome: 'rejected',
        approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
        rejectedApprovals: [{ approverId: approval.approverId, why: 'duplicate' }],
      });
      return storedResponse(rec.response ?? encodeCanonical({}));
    }
    const single = tallyApprovals(policy.doc, 1, ctx.digest, rec.requester, [approval], dev.time(), dev.view);
    const rejected = single.rejected[0];
    if (rejected) {
      const auditSeq = dev.refusals.record({
        kind: 'request.approve',
        requestId,
        intentDigest: ctx.digest,
        outcome: 'rejected',
        // The approval presented, so distinct attempts stay distinct entries (exact replays are counted).
        approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
        rejectedApprovals: [rejectedToCbor(rejected)],
      });
      const detail = { approverId: rejected.approverId, why: rejected.why, ...(rejected.webauthn === undefined ? {} : { webauthn: rejected.webauthn }), auditSeq };
      throw new ApplianceError('denied', `approval rejected: ${rejected.why}${rejected.webauthn === undefined ? '' : ` (${rejected.webauthn})`}`, detail);
    }
    if (prior && priorWhy !== undefined) {
      return decideAndAct(dev, ctx, [...already.filter((a) => a !== prior), approval], 'request.approve', {
        isNew: false,
        inFirstCommit: () => dev.requests.replaceApproval(requestId, approval),
        audit: { replacedApproval: { approverId: prior.approverId, expiresAt: prior.expiresAt, why: priorWhy } },
      });
    }
    return decideAndAct(dev, ctx, [...already, approval], 'request.approve', {
      isNew: false,
      inFirstCommit: () => dev.requests.addApproval(requestId, approval),
    });
  });
}
