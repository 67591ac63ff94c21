// policy.approve: one admin's signature on a pending policy proposal. At the admin quorum the proposal
// is scheduled after its time lock, or activates at once when the lock is zero (a tightening); a
// proposal no longer pending is answered as it stands.
import { defineCommand } from './command.js';
import { parseProposalApproval, type ProposalApprovalArgs, type ProposalApprovalParams } from './admin-approval.js';
import type { PolicyProposalView } from './policy-proposal-view.js';

export type PolicyApproveParams = ProposalApprovalParams;
export type PolicyApproveArgs = ProposalApprovalArgs;
export type PolicyApproveResult = PolicyProposalView;

export const policyApprove = defineCommand<PolicyApproveParams, PolicyApproveResult, PolicyApproveArgs>()({
  name: 'policy.approve',
  summary: "Add an admin's signature to a policy proposal; at the quorum it is scheduled (a tightening activates at once).",
  changesState: true,
  errors: ['not_found', 'denied'],
  parseArgs: parseProposalApproval,
});
