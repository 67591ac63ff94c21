// policy.proposal: one policy proposal: its status, tally, what it changes against the active policy
// and the statement an admin signs to approve it.
import { onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import type { PolicyProposalView } from './policy-proposal-view.js';

export type PolicyProposalParams = {
  proposalId: string;
};

export type PolicyProposalArgs = PolicyProposalParams;

export type PolicyProposalResult = PolicyProposalView;

export const policyProposal = defineCommand<PolicyProposalParams, PolicyProposalResult>()({
  name: 'policy.proposal',
  summary: 'One policy proposal: status, tally, changes against the active policy and the statement admins sign.',
  changesState: false,
  errors: ['not_found'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['proposalId']);
    return { proposalId: str(m, 'proposalId', 64) };
  },
});
