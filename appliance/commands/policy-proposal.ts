// policy.proposal (protocol/commands/policy-proposal.ts): one policy proposal with its tally, its
// changes against the active policy and the statement an admin signs.
import type { PolicyProposalArgs, PolicyProposalResult } from '../../protocol/commands/policy-proposal.js';
import type { Device } from '../device.js';
import { requirePolicyProposal } from '../policy-proposal-lookup.js';
import { policyProposalView } from '../policy-proposal-view.js';

export async function policyProposal(dev: Device, { proposalId }: PolicyProposalArgs): Promise<PolicyProposalResult> {
  return policyProposalView(dev, requirePolicyProposal(dev, proposalId));
}
