// Rule: above a tier's amount, m distinct approvers of the policy must have signed the canonical
// approval statement for this device and this intent digest, before it expires. The requester's own
// approval, unknown approvers, expired or badly signed approvals, and repeats do not count.
import type { AssetRules, PolicyDocument } from '../policy-document.js';
import type { ApprovalTally, RejectedApproval } from '../decision.js';
import { encodeApprovalStatement, type Approval } from '../approvals/statement.js';
import { verifyApprovalSignature } from '../approvals/verify-signature.js';

export function requiredApprovals(rules: AssetRules, amount: bigint): number {
  let required = 0;
  for (const t of rules.approvalTiers) if (amount > t.above && t.required > required) required = t.required;
  return required;
}

export function tallyApprovals(
  policy: PolicyDocument,
  required: number,
  intentDigest: Uint8Array,
  requester: string,
  approvals: readonly Approval[],
  now: number,
): ApprovalTally {
  const counted: string[] = [];
  const rejected: RejectedApproval[] = [];
  for (const a of approvals) {
    const approver = policy.approvers.find((p) => p.id === a.approverId);
    let why: RejectedApproval['why'] | undefined;
    if (!approver) why = 'unknown_approver';
    else if (a.approverId === requester) why = 'requester_cannot_approve';
    else if (a.expiresAt <= now) why = 'expired';
    else if (counted.includes(a.approverId)) why = 'duplicate';
    else {
      const statement = encodeApprovalStatement({ deviceId: policy.deviceId, intentDigest, approverId: a.approverId, expiresAt: a.expiresAt });
      if (!verifyApprovalSignature(approver.alg, approver.publicKey, statement, a.signature)) why = 'bad_signature';
    }
    if (why) rejected.push({ approverId: a.approverId, why });
    else counted.push(a.approverId);
  }
  return { required, counted, rejected };
}
