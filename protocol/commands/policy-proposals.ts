// policy.proposals: the open policy proposals (pending their admin quorum, or scheduled behind their
// time lock), oldest first, each as policy.proposal answers it without the list of changes (its
// changeCount says how many; policy.proposal lists them).
import { ApplianceError } from '../errors.js';
import { onlyKeys, optUint } from '../args.js';
import { defineCommand } from './command.js';
import type { PolicyProposalView } from './policy-proposal-view.js';

export const POLICY_PROPOSALS_MAX = 50;

export interface PolicyProposalsArgs {
  limit: number;
}

export type ListedPolicyProposal = Omit<PolicyProposalView, 'changes'>;

export type PolicyProposalsResult = {
  proposals: ListedPolicyProposal[];
};

export const policyProposals = defineCommand<Partial<PolicyProposalsArgs>, PolicyProposalsResult, PolicyProposalsArgs>()({
  name: 'policy.proposals',
  summary: 'The open policy proposals (pending or scheduled), oldest first, without their listed changes.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['limit']);
    const limit = optUint(m, 'limit', 20, POLICY_PROPOSALS_MAX);
    if (limit < 1) throw new ApplianceError('bad_request', '"limit" expected at least 1', { field: 'limit' });
    return { limit };
  },
});
