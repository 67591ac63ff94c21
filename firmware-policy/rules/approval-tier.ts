// Rule: above a tier's amount, m distinct approvers of the policy must have signed the canonical
// approval statement for this device and this intent digest, before it expires (and expiring no
// further ahead than the policy's maximum approval lifetime). The requester's own
// approval, unknown approvers, expired or badly signed approvals, and repeats do not count.
import { maxApprovalLifetimeSeconds, type AssetRules, type PolicyDocument } from '../policy-document.js';
import type { ApprovalTally } from '../decision.js';
import { encodeApprovalStatement, type Approval } from '../approvals/statement.js';
import { tallySignedApprovals } from '../approvals/tally.js';
import type { Now } from '../device-time.js';
import type { StateView } from '../state-view.js';

export function requiredApprovals(rules: AssetRules, amount: bigint): number {
  let required = 0;
  for (const t of rules.approvalTiers) if (amount > t.above && t.required > required) required = t.required;
  return required;
}

/** `view` gives the stored passkey signature counters (a view that keeps none means 0 for every credential). */
export function tallyApprovals(
  policy: PolicyDocument,
  required: number,
  intentDigest: Uint8Array,
  requester: string,
  approvals: readonly Approval[],
  now: Now,
  view: Pick<StateView, 'webauthnCounter'>,
): ApprovalTally {
  return tallySignedApprovals(
    {
      principals: policy.approvers,
      required,
      requester,
      now,
      maxLifetimeSeconds: maxApprovalLifetimeSeconds(policy),
      statementFor: (approverId, expiresAt) => encodeApprovalStatement({ deviceId: policy.deviceId, intentDigest, approverId, expiresAt }),
      counterOf: (credentialId) => view.webauthnCounter?.(credentialId) ?? 0,
    },
    approvals,
  );
}
