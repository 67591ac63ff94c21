// The admin-quorum time statement (docs/device-time.md): the only way the device's own time moves
// forward faster than its monotonic clock. Each admin signs a canonical statement naming the device,
// a fresh nonce the device handed out (so a statement cannot be replayed), the attested time and an
// expiry. The device believes the time only when the active policy's admin quorum signed it, and
// only up to the host clock: a forward move needs both the admins and the host to agree.
import { encodeCanonical } from '../protocol/cbor.js';
import type { ApprovalTally } from './decision.js';
import type { Approval } from './approvals/statement.js';
import { tallySignedApprovals } from './approvals/tally.js';
import { maxApprovalLifetimeSeconds, type PolicyDocument } from './policy-document.js';
import type { Now } from './device-time.js';

export interface TimeStatement {
  /** The device's current time nonce (from device.time), 16 bytes. */
  nonce: Uint8Array;
  /** The attested time, unix seconds: "now is at least this". */
  time: number;
}

export function encodeTimeStatement(deviceId: string, s: TimeStatement, adminId: string, expiresAt: number): Uint8Array {
  return encodeCanonical({ type: 'device-time', deviceId, nonce: s.nonce, time: s.time, adminId, expiresAt });
}

/** Counts the admins of the active policy who signed this statement (distinct, known, unexpired, within the policy's approval lifetime, valid). */
export function tallyTimeStatement(policy: PolicyDocument, s: TimeStatement, approvals: readonly Approval[], now: Now): ApprovalTally {
  return tallySignedApprovals(
    {
      principals: policy.admins,
      required: policy.adminQuorum,
      requester: '',
      now,
      maxLifetimeSeconds: maxApprovalLifetimeSeconds(policy),
      lifetimeFrom: 'latest',
      statementFor: (adminId, expiresAt) => encodeTimeStatement(policy.deviceId, s, adminId, expiresAt),
    },
    approvals,
  );
}
