// whitelist.cancel: one admin's signature cancelling an accepted whitelist entry that is still in its
// hold; at the cancel quorum the entry is removed and its proposal recorded as cancelled. (Removing an
// address needs no quorum; cancelling is how admins answer a suspicious addition during its hold.)
import { defineCommand } from './command.js';
import { parseProposalApproval, type ProposalApprovalArgs, type ProposalApprovalParams } from './admin-approval.js';

export type WhitelistCancelParams = ProposalApprovalParams;
export type WhitelistCancelArgs = ProposalApprovalArgs;

export type WhitelistCancelResult = {
  proposalId: string;
  status: 'cancelled' | 'pending';
  required: number;
  approvedBy: string[];
};

export const whitelistCancel = defineCommand<WhitelistCancelParams, WhitelistCancelResult, WhitelistCancelArgs>()({
  name: 'whitelist.cancel',
  summary: "Add an admin's cancel signature to an accepted whitelist entry still in its hold; at the quorum it is removed.",
  changesState: true,
  errors: ['not_found', 'conflict', 'denied'],
  parseArgs: parseProposalApproval,
});
