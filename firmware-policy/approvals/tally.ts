// Counts signed approvals against a set of principals (transaction approvers or admins): distinct,
// known, not the requester, unexpired, expiring no further ahead than the policy's maximum approval
// lifetime, and validly signed over the statement built for each one.
import type { Principal } from '../policy-document.js';
import type { ApprovalTally, RejectedApproval } from '../decision.js';
import type { Approval } from './statement.js';
import { verifyApprovalSignature } from './verify-signature.js';
import { latestOf, type Now } from '../device-time.js';

export interface TallyRules {
  principals: readonly Principal[];
  required: number;
  /** Whoever asked; their own approval does not count. */
  requester: string;
  /** An approval counts only while it is unexpired at the latest plausible now. */
  now: Now;
  /**
   * The policy's maxApprovalLifetimeSeconds: an approval whose expiry lies further ahead of the
   * latest plausible now does not count (a signature meant to outlive any decision is a standing
   * authorisation). Both checks take the latest bound, so an approval counts only while its expiry
   * lies in (latest, latest + max]: a host clock moved forward only makes approvals expire sooner.
   */
  maxLifetimeSeconds: number;
  /** The canonical statement this approver must have signed. */
  statementFor(approverId: string, expiresAt: number): Uint8Array;
}

export function tallySignedApprovals(rules: TallyRules, approvals: readonly Approval[]): ApprovalTally {
  const counted: string[] = [];
  const rejected: RejectedApproval[] = [];
  for (const a of approvals) {
    const who = rules.principals.find((p) => p.id === a.approverId);
    let why: RejectedApproval['why'] | undefined;
    if (!who) why = 'unknown_approver';
    else if (a.approverId === rules.requester) why = 'requester_cannot_approve';
    else if (a.expiresAt <= latestOf(rules.now)) why = 'expired';
    else if (a.expiresAt - latestOf(rules.now) > rules.maxLifetimeSeconds) why = 'lifetime_too_long';
    else if (counted.includes(a.approverId)) why = 'duplicate';
    else if (!verifyApprovalSignature(who.alg, who.publicKey, rules.statementFor(a.approverId, a.expiresAt), a.signature)) why = 'bad_signature';
    if (why) rejected.push({ approverId: a.approverId, why });
    else counted.push(a.approverId);
  }
  return { required: rules.required, counted, rejected };
}
