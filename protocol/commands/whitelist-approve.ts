// whitelist.approve: one admin's signature on a whitelist proposal. At the admin quorum the address
// is accepted and enters its group's hold; a proposal no longer pending is answered as it stands.
import { defineCommand } from './command.js';
import { parseProposalApproval, type ProposalApprovalArgs, type ProposalApprovalParams } from './admin-approval.js';
import type { WhitelistProposalView } from './whitelist-proposal-view.js';

export type WhitelistApproveParams = ProposalApprovalParams;
export type WhitelistApproveArgs = ProposalApprovalArgs;
export type WhitelistApproveResult = WhitelistProposalView;

export const whitelistApprove = defineCommand<WhitelistApproveParams, WhitelistApproveResult, WhitelistApproveArgs>()({
  name: 'whitelist.approve',
  summary: "Add an admin's signature to a whitelist proposal; at the quorum the address enters its group's hold.",
  changesState: true,
  errors: ['not_found', 'denied'],
  parseArgs: parseProposalApproval,
});
