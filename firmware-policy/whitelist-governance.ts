// Whitelist governance: a new entry is proposed, approved by the admin quorum the policy names, then
// waits out its group's hold before it can receive funds. Removal needs no quorum (stricter is
// immediate). Admins sign a canonical statement naming the device, the proposal and an expiry.
import { encodeCanonical } from '../protocol/cbor.js';
import type { PolicyDocument } from './policy-document.js';
import { groupHoldSeconds, maxApprovalLifetimeSeconds } from './policy-document.js';
import type { ApprovalTally } from './decision.js';
import type { Approval } from './approvals/statement.js';
import { tallySignedApprovals } from './approvals/tally.js';
import type { Now } from './device-time.js';

export interface WhitelistProposal {
  id: string;
  group: string;
  chainId: bigint;
  address: Uint8Array;
  label: string;
  proposedBy: string;
}

export function encodeWhitelistStatement(deviceId: string, p: WhitelistProposal, adminId: string, expiresAt: number): Uint8Array {
  return encodeCanonical({
    type: 'whitelist-add',
    deviceId,
    proposalId: p.id,
    group: p.group,
    chainId: p.chainId,
    address: p.address,
    label: p.label,
    adminId,
    expiresAt,
  });
}

/** Counts distinct, unexpired, validly signed admin approvals; the proposer's own does not count. */
export function tallyAdminApprovals(policy: PolicyDocument, p: WhitelistProposal, approvals: readonly Approval[], now: Now): ApprovalTally {
  return tallySignedApprovals(
    {
      principals: policy.admins,
      required: policy.adminQuorum,
      requester: p.proposedBy,
      now,
      maxLifetimeSeconds: maxApprovalLifetimeSeconds(policy),
      statementFor: (adminId, expiresAt) => encodeWhitelistStatement(policy.deviceId, p, adminId, expiresAt),
    },
    approvals,
  );
}

/** When an entry whose quorum was reached at `quorumAt` becomes usable. */
export function whitelistActiveAt(policy: PolicyDocument, group: string, quorumAt: number): number {
  return quorumAt + groupHoldSeconds(policy, group);
}

/** The statement an admin signs to cancel a whitelist entry still in its hold. */
export function encodeWhitelistCancelStatement(deviceId: string, proposalId: string, adminId: string, expiresAt: number): Uint8Array {
  return encodeCanonical({ type: 'whitelist-cancel', deviceId, proposalId, adminId, expiresAt });
}

/** Admin approvals of cancelling an entry in hold: the same quorum as adding it. */
export function tallyWhitelistCancel(policy: PolicyDocument, proposalId: string, approvals: readonly Approval[], now: Now): ApprovalTally {
  return tallySignedApprovals(
    {
      principals: policy.admins,
      required: policy.adminQuorum,
      requester: '',
      now,
      maxLifetimeSeconds: maxApprovalLifetimeSeconds(policy),
      statementFor: (adminId, expiresAt) => encodeWhitelistCancelStatement(policy.deviceId, proposalId, adminId, expiresAt),
    },
    approvals,
  );
}
