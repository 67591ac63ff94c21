// policy.cancel: any one admin's signature cancels a policy proposal that is pending or scheduled
// (a time-locked change can be stopped before it activates).
import { defineCommand } from './command.js';
import { parseProposalApproval, type ProposalApprovalArgs, type ProposalApprovalParams } from './admin-approval.js';
import type { PolicyProposalView } from './policy-proposal-view.js';

export type PolicyCancelParams = ProposalApprovalParams;
export type PolicyCancelArgs = ProposalApprovalArgs;
export type PolicyCancelResult = PolicyProposalView;

export const policyCancel = defineCommand<PolicyCancelParams, PolicyCancelResult, PolicyCancelArgs>()({
  name: 'policy.cancel',
  summary: "Cancel a pending or scheduled policy proposal with one admin's signature.",
  changesState: true,
  errors: ['not_found', 'conflict', 'denied'],
  parseArgs: parseProposalApproval,
});
