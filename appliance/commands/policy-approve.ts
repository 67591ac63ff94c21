// policy.approve (protocol/commands/policy-approve.ts): one admin's signature on a pending policy
// proposal, checked alone first (a bad one is refused and audited); at the admin quorum the proposal
// is scheduled after its time lock, and a zero lock (a tightening) activates it in the same command.
import type { PolicyApproveArgs, PolicyApproveResult } from '../../protocol/commands/policy-approve.js';
import { activationDelay, tallyPolicyApprovals } from '../../firmware-policy/policy-governance.js';
import type { Device } from '../device.js';
import { refuseRejectedApproval } from '../admin-quorum.js';
import { activateDue } from '../policy-activation.js';
import { proposedDocument, requirePolicyProposal } from '../policy-proposal-lookup.js';
import { policyProposalView } from '../policy-proposal-view.js';

export async function policyApprove(dev: Device, { proposalId: id, approval }: PolicyApproveArgs): Promise<PolicyApproveResult> {
  return dev.requestLocks.run(id, async () => {
    const p = requirePolicyProposal(dev, id);
    if (p.status !== 'pending') return policyProposalView(dev, p);
    const active = dev.policies.current();
    const time = dev.time();
    const now = time.earliest;
    const rejected = tallyPolicyApprovals(active.doc, p, [approval], time).rejected[0];
    if (rejected) refuseRejectedApproval(dev, 'policy.approve', { proposalId: id }, approval, rejected);
    const others = dev.proposals.approvals(id).filter((a) => a.approverId !== approval.approverId);
    const tally = tallyPolicyApprovals(active.doc, p, [...others, approval], time);
    const quorum = tally.counted.length >= tally.required;
    const delay = quorum ? activationDelay(active.doc, proposedDocument(p)) : null;
    dev.seal.transaction(() => {
      dev.proposals.addApproval(id, approval);
      if (quorum && delay !== null) dev.proposals.setStatus(id, 'scheduled', now, now + delay);
      dev.audit.append(now, {
        kind: 'policy.approve',
        proposalId: id,
        outcome: quorum ? 'quorum' : 'pending',
        approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
        approvedBy: tally.counted,
        activateAfter: quorum && delay !== null ? now + delay : null,
        policyVersion: active.doc.version,
        policyHash: active.hash,
      });
    });
    // A tightening, or a change whose time lock is zero, activates in the same command.
    if (quorum && delay === 0) activateDue(dev, now);
    return policyProposalView(dev, requirePolicyProposal(dev, id));
  });
}
