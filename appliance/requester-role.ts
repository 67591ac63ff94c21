// The requester a command names must be a principal of the active policy holding the role the command
// needs (firmware-policy/principals.ts): an admin to propose a whitelist entry or a policy change or to
// remove an address. A command an admin asks for is also judged on that admin's stamp
// (firmware-policy/request-stamp.ts checkAdminRequestStamp): required when the policy says
// `requireSignedProposals`, checked whenever one is given. A refusal is audited (kind of the command,
// outcome "rejected", through the refusal counter) before it answers.
import { ApplianceError } from '../protocol/errors.js';
import type { AuditKind } from '../protocol/audit-kinds.js';
import type { AdminStampedArgs } from '../protocol/commands/request-stamp-arg.js';
import { reasonsToCbor, type Reason } from '../firmware-policy/decision.js';
import { checkRequester } from '../firmware-policy/principals.js';
import { checkAdminRequestStamp, type RequesterProof } from '../firmware-policy/request-stamp.js';
import type { Device } from './device.js';

function refuse(dev: Device, kind: AuditKind, requester: string, role: 'requester' | 'admin', reasons: Reason[], extra: Record<string, string> = {}): never {
  const policy = dev.policies.current();
  const first = reasons[0]!;
  // Through the refusal counter, so a flood (a requester varied per frame included) folds into
  // counted entries like every other refusal.
  const auditSeq = dev.refusals.record({ kind, outcome: 'rejected', requester, ...extra, reasons: reasonsToCbor(reasons), policyVersion: policy.doc.version, policyHash: policy.hash });
  throw new ApplianceError('denied', first.message, { rule: first.rule, code: first.code, requester, role, auditSeq });
}

export function assertRequesterRole(dev: Device, kind: AuditKind, requester: string, role: 'requester' | 'admin'): void {
  const reasons = checkRequester(dev.policies.current().doc, requester, role);
  if (reasons.length > 0) refuse(dev, kind, requester, role, reasons);
}

/** How the admin a command names is known, with the request id its stamp named (for the audit entry). */
export interface AdminProof {
  requesterProof: RequesterProof;
  requestId?: string;
}

/**
 * The admin a command names holds the role and, under `requireSignedProposals` or whenever a stamp is
 * given, stamped this very request (`command` is the wire command the stamp names). Refused and
 * audited otherwise.
 */
export function assertAdminRequest(dev: Device, kind: AuditKind, command: string, requester: string, args: AdminStampedArgs): AdminProof {
  const check = checkAdminRequestStamp(dev.policies.current().doc, { command, requester, requestId: args.requestId, argsDigest: args.argsDigest, stamp: args.stamp }, dev.time());
  if (check.reasons.length > 0) refuse(dev, kind, requester, 'admin', check.reasons, args.requestId === undefined ? {} : { requestId: args.requestId });
  return { requesterProof: check.proof, ...(args.requestId === undefined ? {} : { requestId: args.requestId }) };
}
