// whitelist.proposal: one whitelist proposal, as whitelist.propose and whitelist.approve answer it (its
// status, tally, hold and the statement an admin signs), for the admins and approvers who review it.
import { onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import type { WhitelistProposalView } from './whitelist-proposal-view.js';

export interface WhitelistProposalArgs {
  proposalId: string;
}

export type WhitelistProposalResult = WhitelistProposalView;

export const whitelistProposal = defineCommand<WhitelistProposalArgs, WhitelistProposalResult>()({
  name: 'whitelist.proposal',
  summary: 'One whitelist proposal: status, tally, hold and the statement admins sign.',
  changesState: false,
  errors: ['not_found'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['proposalId']);
    return { proposalId: str(m, 'proposalId', 64) };
  },
});
