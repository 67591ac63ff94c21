// whitelist.approve (protocol/commands/whitelist-approve.ts): one admin's signature on a pending
// whitelist proposal, checked alone first (a bad one is refused and audited); at the admin quorum the
// address is accepted and enters its group's hold.
import type { WhitelistApproveArgs, WhitelistApproveResult } from '../../protocol/commands/whitelist-approve.js';
import { ApplianceError } from '../../protocol/errors.js';
import { tallyAdminApprovals, whitelistActiveAt } from '../../firmware-policy/whitelist-governance.js';
import type { Device } from '../device.js';
import { refuseRejectedApproval } from '../admin-quorum.js';
import { whitelistProposalView } from '../whitelist-proposal-view.js';

export async function whitelistApprove(dev: Device, { proposalId, approval }: WhitelistApproveArgs): Promise<WhitelistApproveResult> {
  return dev.requestLocks.run(proposalId, async () => {
    const p = dev.whitelist.proposal(proposalId);
    if (!p) throw new ApplianceError('not_found', 'no such whitelist proposal');
    if (p.status !== 'pending') return whitelistProposalView(dev, p);
    const time = dev.time();
    const now = time.earliest;
    const policy = dev.policies.current();
    const existing = dev.whitelist.approvals(proposalId).filter((a) => a.approverId !== approval.approverId);
    const single = tallyAdminApprovals(policy.doc, p, [approval], time);
    const rejected = single.rejected[0];
    if (rejected) refuseRejectedApproval(dev, 'whitelist.approve', { proposalId }, approval, rejected);
    const tally = tallyAdminApprovals(policy.doc, p, [...existing, approval], time);
    const accepted = tally.counted.length >= tally.required;
    dev.seal.transaction(() => {
      dev.whitelist.addApproval(proposalId, approval);
      let activeAt: number | null = null;
      if (accepted) {
        activeAt = whitelistActiveAt(policy.doc, p.group, now);
        dev.whitelist.setProposalStatus(proposalId, 'accepted', now);
        dev.whitelist.put({ group: p.group, chainId: p.chainId, address: p.address, label: p.label, activeAt, proposalId, addedAt: now });
      }
      dev.audit.append(now, {
        kind: 'whitelist.approve',
        proposalId,
        // What is being added, so the entry (and an event derived from it) names it on its own.
        group: p.group,
        chainId: p.chainId,
        address: p.address,
        label: p.label,
        outcome: accepted ? 'accepted' : 'pending',
        approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
        approvedBy: tally.counted,
        activeAt,
        policyVersion: policy.doc.version,
        policyHash: policy.hash,
      });
    });
    const after = dev.whitelist.proposal(proposalId);
    if (!after) throw new ApplianceError('internal', 'proposal vanished');
    return whitelistProposalView(dev, after);
  });
}
