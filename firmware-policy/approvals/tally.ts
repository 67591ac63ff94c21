// Counts signed approvals against a set of principals (transaction approvers or admins): distinct,
// known, not the requester, unexpired, expiring no further ahead than the policy's maximum approval
// lifetime, and validly signed over the statement built for each one. A key-file approver signs the
// statement itself; a passkey (WebAuthn) approver's assertion takes SHA-256 of it as its challenge,
// and its signature counter must move past the one stored for the credential (the tally returns the
// new counters; the appliance stores them with an allowed decision).
import type { Principal } from '../policy-document.js';
import type { ApprovalTally, CounterUpdate, RejectedApproval } from '../decision.js';
import type { Approval } from './statement.js';
import { verifyApprovalSignature } from './verify-signature.js';
import { verifyPasskeyApproval } from './passkey-approval.js';
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
  /**
   * The signature counter stored for a passkey credential (0 when none is stored). Without it a
   * passkey approval does not count: only the transaction-approval tally, which reads device state,
   * gives it (admins are key-file principals).
   */
  counterOf?(credentialId: Uint8Array): number;
}

type Verdict = { why: RejectedApproval['why']; webauthn?: string } | { counter?: CounterUpdate };

function checkSignature(rules: TallyRules, who: Principal, a: Approval): Verdict {
  const statement = rules.statementFor(a.approverId, a.expiresAt);
  if (who.alg !== 'WebAuthn') return verifyApprovalSignature(who.alg, who.publicKey, statement, a.signature) ? {} : { why: 'bad_signature' };
  if (!rules.counterOf || !who.credentialId) return { why: 'bad_signature', webauthn: 'passkey_not_accepted_here' };
  const r = verifyPasskeyApproval(who, statement, a.signature, rules.counterOf(who.credentialId));
  if (!r.ok) return { why: r.reason === 'counter_replayed' ? 'counter_replayed' : 'bad_signature', webauthn: r.reason };
  return { counter: { approverId: a.approverId, credentialId: who.credentialId, counter: r.newCounter } };
}

export function tallySignedApprovals(rules: TallyRules, approvals: readonly Approval[]): ApprovalTally {
  const counted: string[] = [];
  const rejected: RejectedApproval[] = [];
  const counters: CounterUpdate[] = [];
  for (const a of approvals) {
    const who = rules.principals.find((p) => p.id === a.approverId);
    let why: RejectedApproval['why'] | undefined;
    if (!who) why = 'unknown_approver';
    else if (a.approverId === rules.requester) why = 'requester_cannot_approve';
    else if (a.expiresAt <= latestOf(rules.now)) why = 'expired';
    else if (a.expiresAt - (rules.lifetimeFrom === 'latest' ? latestOf(rules.now) : earliestOf(rules.now)) > rules.maxLifetimeSeconds) why = 'lifetime_too_long';
    else if (counted.includes(a.approverId)) why = 'duplicate';
    if (why || !who) {
      rejected.push({ approverId: a.approverId, why: why ?? 'unknown_approver' });
      continue;
    }
    const v = checkSignature(rules, who, a);
    if ('why' in v) {
      rejected.push({ approverId: a.approverId, why: v.why, ...(v.webauthn === undefined ? {} : { webauthn: v.webauthn }) });
      continue;
    }
    counted.push(a.approverId);
    if (v.counter) counters.push(v.counter);
  }
  return { required: rules.required, counted, rejected, ...(counters.length > 0 ? { counters } : {}) };
}
