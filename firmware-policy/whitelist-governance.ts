// Whitelist governance: a new entry is proposed, approved by the admin quorum the policy names, then
// waits out its group's hold before it can receive funds. Removal needs no quorum (stricter is
// immediate). Admins sign a canonical statement naming the device, the proposal and an expiry.
import { encodeCanonical } from '../protocol/cbor.js';
import type { PolicyDocument } from './policy-document.js';
import { groupHoldSeconds } from './policy-document.js';
import type { ApprovalTally, RejectedApproval } from './decision.js';
import type { Approval } from './approvals/statement.js';
import { verifyApprovalSignature } from './approvals/verify-signature.js';

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
export function tallyAdminApprovals(policy: PolicyDocument, p: WhitelistProposal, approvals: readonly Approval[], now: number): ApprovalTally {
  const counted: string[] = [];
  const rejected: RejectedApproval[] = [];
  for (const a of approvals) {
    const admin = policy.admins.find((x) => x.id === a.approverId);
    let why: RejectedApproval['why'] | undefined;
    if (!admin) why = 'unknown_approver';
    else if (a.approverId === p.proposedBy) why = 'requester_cannot_approve';
    else if (a.expiresAt <= now) why = 'expired';
    else if (counted.includes(a.approverId)) why = 'duplicate';
    else if (!verifyApprovalSignature(admin.alg, admin.publicKey, encodeWhitelistStatement(policy.deviceId, p, a.approverId, a.expiresAt), a.signature)) {
      why = 'bad_signature';
    }
    if (why) rejected.push({ approverId: a.approverId, why });
    else counted.push(a.approverId);
  }
  return { required: policy.adminQuorum, counted, rejected };
}

/** When an entry whose quorum was reached at `quorumAt` becomes usable. */
export function whitelistActiveAt(policy: PolicyDocument, group: string, quorumAt: number): number {
  return quorumAt + groupHoldSeconds(policy, group);
}
