// The appliance's side of an admin-quorum decision taken outside a proposal (a first policy, a restore):
// refuse without the quorum, and record exactly the approvals that counted.
import type { CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { ApprovalTally, RejectedApproval } from '../firmware-policy/decision.js';
import type { AuditKind } from '../protocol/audit-kinds.js';
import type { Device } from './device.js';
import type { Approval } from '../firmware-policy/approvals/statement.js';

/** Throws 'denied' (admin-quorum / quorum_not_met, with who counted and why others did not) below the quorum. */
export function requireAdminQuorum(tally: ApprovalTally, what: string, noun: 'signatures' | 'approvals'): void {
  if (tally.counted.length >= tally.required) return;
  throw new ApplianceError('denied', `${what} needs ${tally.required} admin ${noun}; ${tally.counted.length} counted`, {
    rule: 'admin-quorum',
    code: 'quorum_not_met',
    counted: tally.counted,
    rejected: tally.rejected.map((r) => ({ approverId: r.approverId, why: r.why })),
  });
}

/** The approvals that counted, as the audit entry records them. */
export function countedApprovals(approvals: readonly Approval[], counted: readonly string[]): CborMap[] {
  return approvals.filter((a) => counted.includes(a.approverId)).map((a) => ({ approverId: a.approverId, expiresAt: a.expiresAt, signature: a.signature }));
}

/**
 * Refuses one admin approval that does not count on its own (expired, bad signature…): audited through
 * the refusal log with the approval and why, then 'denied' naming the entry.
 */
export function refuseRejectedApproval(dev: Device, kind: AuditKind, subject: CborMap, approval: Approval, rejected: RejectedApproval): never {
  const auditSeq = dev.refusals.record({
    kind,
    ...subject,
    outcome: 'rejected',
    approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
    rejectedApprovals: [{ approverId: rejected.approverId, why: rejected.why }],
  });
  throw new ApplianceError('denied', `approval rejected: ${rejected.why}`, { approverId: rejected.approverId, why: rejected.why, auditSeq });
}
