// The closed set of audit entry kinds (docs/auditors.md): the `kind` of every payload the appliance
// appends to its attested log, and the only kinds the verifier, the bridge's event feed and hsmctl's
// audit tools may look for. The appliance's `AuditLog.append` takes an `AuditKind`, and readers
// compare against `auditKindOf(payload)`, so a misspelt kind on either side is a compile error.
import type { CborMap } from './cbor.js';

export const AUDIT_KINDS = [
  // The device's first entry (exactly one of these, at seq 1).
  'device.provision',
  'ceremony.init',
  'device.restore',
  'backup.created',
  'key.generate',
  // HD wallets (docs/hd-wallets.md): a seed created, a key derived into the token, an account xpub exported.
  'hd.create',
  'hd.derive',
  'hd.xpub',
  // Decisions on signing requests, one entry per decision (DECISION_KINDS below).
  'sign.evm-tx',
  'sign.typed-data',
  'request.approve',
  'recovery.abort',
  'whitelist.propose',
  'whitelist.approve',
  'whitelist.remove',
  'whitelist.cancel',
  'policy.init',
  'policy.propose',
  'policy.approve',
  'policy.cancel',
  'policy.supersede',
  'policy.activate',
  'firmware.approve',
  'device.time.attest',
  // The sealed state found broken, or the host clock set back (appliance/sealed-state.ts).
  'tamper.detected',
  // A refused well-framed command, and the count of identical ones after it (appliance/refusal-log.ts).
  'refusal',
  'refusal.repeated',
] as const;

export type AuditKind = (typeof AUDIT_KINDS)[number];

/** The kinds whose entry records a decision of the evaluator on a signing request (appliance/signing-flow.ts). */
export const DECISION_KINDS = ['sign.evm-tx', 'sign.typed-data', 'request.approve'] as const satisfies readonly AuditKind[];

export type DecisionKind = (typeof DECISION_KINDS)[number];

/** The fields an appliance appends (without seq, prevHash, time and the other fields the log adds). */
export type AuditFields = CborMap & { kind: AuditKind };

export function isAuditKind(x: unknown): x is AuditKind {
  return typeof x === 'string' && (AUDIT_KINDS as readonly string[]).includes(x);
}

export function isDecisionKind(x: unknown): x is DecisionKind {
  return typeof x === 'string' && (DECISION_KINDS as readonly string[]).includes(x);
}

/** A decoded payload's kind, or undefined when it names none of ours (compare the result, never the raw field). */
export function auditKindOf(payload: { kind?: unknown }): AuditKind | undefined {
  return isAuditKind(payload.kind) ? payload.kind : undefined;
}
