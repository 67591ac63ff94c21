// whitelist.cancel (protocol/commands/whitelist-cancel.ts): the admin quorum cancels an accepted entry
// that is still in its hold (removing an address needs no quorum, but cancelling is how admins answer a
// suspicious addition during the hold: it is recorded as a cancellation of that proposal). Approvals
// are collected one per call and kept with the proposal's (under "cancel:<id>").
import type { WhitelistCancelArgs, WhitelistCancelResult } from '../../protocol/commands/whitelist-cancel.js';
import { ApplianceError } from '../../protocol/errors.js';
import { tallyWhitelistCancel, whitelistActiveAt } from '../../firmware-policy/whitelist-governance.js';
import type { Device } from '../device.js';

export async function whitelistCancel(dev: Device, { proposalId, approval }: WhitelistCancelArgs): Promise<WhitelistCancelResult> {
  return dev.requestLocks.run(`cancel:${proposalId}`, async () => {
    const p = dev.whitelist.proposal(proposalId);
    if (!p) throw new ApplianceError('not_found', 'no such whitelist proposal');
    const time = dev.time();
    const now = time.earliest;
    const policy = dev.policies.current();
    const activeAt = p.quorumAt === null ? null : whitelistActiveAt(policy.doc, p.group, p.quorumAt);
    if (p.status !== 'accepted' || activeAt === null || activeAt <= now) {
      throw new ApplianceError('conflict', 'only an accepted entry still in its hold can be cancelled (remove it instead)', { status: p.status });
    }
    const rejected = tallyWhitelistCancel(policy.doc, proposalId, [approval], time).rejected[0];
    if (rejected) throw new ApplianceError('denied', `approval rejected: ${rejected.why}`, { approverId: rejected.approverId, why: rejected.why });
    const cancelKey = `cancel:${proposalId}`;
    const pendingCancels = dev.whitelist.approvals(cancelKey).filter((a) => a.approverId !== approval.approverId);
    const tally = tallyWhitelistCancel(policy.doc, proposalId, [...pendingCancels, approval], time);
    const done = tally.counted.length >= tally.required;
    dev.seal.transaction(() => {
      dev.whitelist.addApproval(cancelKey, approval);
      if (done) {
        dev.whitelist.remove(p.chainId, p.address, p.group);
        dev.whitelist.setProposalStatus(proposalId, 'cancelled', p.quorumAt);
      }
      dev.audit.append(now, {
        kind: 'whitelist.cancel',
        proposalId,
        group: p.group,
        chainId: p.chainId,
        address: p.address,
        label: p.label,
        outcome: done ? 'cancelled' : 'pending',
        approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
        approvedBy: tally.counted,
        policyVersion: policy.doc.version,
        policyHash: policy.hash,
      });
    });
    return { proposalId, status: done ? 'cancelled' : 'pending', required: tally.required, approvedBy: tally.counted };
  });
}
