// Counts signed approvals against a set of principals (transaction approvers or admins): distinct,
// known, not the requester, unexpired, expiring no further ahead than the policy's maximum approval
// lifetime, and validly signed over the statement built for each one.
import type { Principal } from '../policy-document.js';
import type { ApprovalTally, RejectedApproval } from '../decision.js';
import type { Approval } from './statement.js';
import { verifyApprovalSignature } from './verify-signature.js';
import { earliestOf, latestOf, type Now } from '../device-time.js';

export interface TallyRules {
  principals: readonly Principal[];
  required: number;
  /** Whoever asked; their own approval does not count. */
  requester: string;
  /** An approval counts only while it is unexpired at the latest plausible now. */
  now: Now;
  /**
   * The policy's maxApprovalLifetimeSeconds: an approval whose expiry lies further ahead of the
   * earliest plausible now (the device's own time) does not count (a signature meant to outlive any
   * decision is a standing authorisation). Expiry takes the latest bound and lifetime the earliest, so
   * an approval counts only while its expiry lies in (latest, earliest + max]: a host clock moved
   * forward makes approvals expire sooner and lets no long-lived one in.
   */
  maxLifetimeSeconds: number;
  /**
   * Which bound the lifetime is measured from; 'earliest' unless the statement is single-use by
   * construction. An admin time statement carries the device's fresh nonce, so it cannot be kept
   * as a standing authorisation; measured from the latest bound, it can still catch up a device that
   * was off for longer than the maximum lifetime (its own time lags the admins' clocks by the downtime).
   */
  lifetimeFrom?: 'earliest' | 'latest';
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
    else if (a.expiresAt - (rules.lifetimeFrom === 'latest' ? latestOf(rules.now) : earliestOf(rules.now)) > rules.maxLifetimeSeconds) why = 'lifetime_too_long';
    else if (counted.includes(a.approverId)) why = 'duplicate';
    else if (!verifyApprovalSignature(who.alg, who.publicKey, rules.statementFor(a.approverId, a.expiresAt), a.signature)) why = 'bad_signature';
    if (why) rejected.push({ approverId: a.approverId, why });
    else counted.push(a.approverId);
  }
  return { required: rules.required, counted, rejected };
}
