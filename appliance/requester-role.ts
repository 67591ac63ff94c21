// The requester a command names must be a principal of the active policy holding the role the command
// needs (firmware-policy/principals.ts): an admin to propose a whitelist entry or a policy change or to
// remove an address. A refusal is audited (kind of the command, outcome "rejected", through the refusal counter)
// before it answers.
import { ApplianceError } from '../protocol/errors.js';
import type { AuditKind } from '../protocol/audit-kinds.js';
import { reasonsToCbor } from '../firmware-policy/decision.js';
import { checkRequester } from '../firmware-policy/principals.js';
import type { Device } from './device.js';

export function assertRequesterRole(dev: Device, kind: AuditKind, requester: string, role: 'requester' | 'admin'): void {
  const policy = dev.policies.current();
  const reasons = checkRequester(policy.doc, requester, role);
  const first = reasons[0];
  if (!first) return;
  // Through the refusal counter, so a flood (a requester varied per frame included) folds into
  // counted entries like every other refusal.
  const auditSeq = dev.refusals.record({ kind, outcome: 'rejected', requester, reasons: reasonsToCbor(reasons), policyVersion: policy.doc.version, policyHash: policy.hash });
  throw new ApplianceError('denied', first.message, { rule: first.rule, code: first.code, requester, role, auditSeq });
}
