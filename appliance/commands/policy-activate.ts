// policy.activate (protocol/commands/policy-activate.ts): activates the scheduled policy proposals
// whose time lock has passed and answers the named one; refused while its lock still runs. The bridge
// names the admin asking (refused and audited unless the policy makes it an admin); the local operator
// on the socket names none.
import type { PolicyActivateArgs, PolicyActivateResult } from '../../protocol/commands/policy-activate.js';
import { ApplianceError } from '../../protocol/errors.js';
import type { Device } from '../device.js';
import { assertAdminRequest } from '../requester-role.js';
import { activateDue } from '../policy-activation.js';
import { requirePolicyProposal } from '../policy-proposal-lookup.js';
import { policyProposalView } from '../policy-proposal-view.js';

export async function policyActivate(dev: Device, args: PolicyActivateArgs): Promise<PolicyActivateResult> {
  const { requester, proposalId } = args;
  if (requester !== undefined) assertAdminRequest(dev, 'policy.activate', 'policy.activate', requester, args);
  const p = requirePolicyProposal(dev, proposalId);
  if (p.status === 'scheduled' && (p.activateAfter ?? Infinity) > dev.clock()) {
    throw new ApplianceError('conflict', `the time lock runs until ${p.activateAfter}`, { activateAfter: p.activateAfter });
  }
  activateDue(dev, dev.clock(), requester);
  return policyProposalView(dev, requirePolicyProposal(dev, p.id));
}
