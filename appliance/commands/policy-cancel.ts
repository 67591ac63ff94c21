// policy.cancel (protocol/commands/policy-cancel.ts): one admin's signature cancels a pending or
// scheduled policy proposal; the cancellation is audited with the signature.
import type { PolicyCancelArgs, PolicyCancelResult } from '../../protocol/commands/policy-cancel.js';
import { ApplianceError } from '../../protocol/errors.js';
import { verifyCancel } from '../../firmware-policy/policy-governance.js';
import type { Device } from '../device.js';
import { requirePolicyProposal } from '../policy-proposal-lookup.js';
import { policyProposalView } from '../policy-proposal-view.js';

export async function policyCancel(dev: Device, { proposalId: id, approval }: PolicyCancelArgs): Promise<PolicyCancelResult> {
  return dev.requestLocks.run(id, async () => {
    const p = requirePolicyProposal(dev, id);
    if (p.status !== 'pending' && p.status !== 'scheduled') throw new ApplianceError('conflict', `proposal is ${p.status}`, { status: p.status });
    const active = dev.policies.current();
    const time = dev.time();
    const now = time.earliest;
    const rejected = verifyCancel(active.doc, id, approval, time).rejected[0];
    if (rejected) throw new ApplianceError('denied', `cancel rejected: ${rejected.why}`, { approverId: rejected.approverId, why: rejected.why });
    dev.seal.transaction(() => {
      dev.proposals.setStatus(id, 'cancelled', p.quorumAt, null);
      dev.audit.append(now, {
        kind: 'policy.cancel',
        proposalId: id,
        approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
        policyVersion: active.doc.version,
        policyHash: active.hash,
      });
    });
    return policyProposalView(dev, requirePolicyProposal(dev, id));
  });
}
