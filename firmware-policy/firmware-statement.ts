// The admin approval of a firmware measurement (docs/firmware.md): a firmware update is treated like
// a policy change. Each admin signs a canonical statement naming the device, the measurement and an
// expiry; the measurement is approved once the active policy's admin quorum has signed it.
import { encodeCanonical } from '../protocol/cbor.js';
import type { ApprovalTally } from './decision.js';
import type { Approval } from './approvals/statement.js';
import { tallySignedApprovals } from './approvals/tally.js';
import { maxApprovalLifetimeSeconds, type PolicyDocument } from './policy-document.js';
import type { Now } from './device-time.js';

/** The statement an admin signs to approve a firmware measurement. */
export function encodeFirmwareStatement(deviceId: string, measurement: Uint8Array, adminId: string, expiresAt: number): Uint8Array {
  return encodeCanonical({ type: 'firmware-update', deviceId, measurement, adminId, expiresAt });
}

/** Counts the admins of the active policy who approved this measurement for this device (distinct, known, unexpired, within the policy's approval lifetime, valid). */
export function tallyFirmwareApprovals(policy: PolicyDocument, deviceId: string, measurement: Uint8Array, approvals: readonly Approval[], now: Now): ApprovalTally {
  return tallySignedApprovals(
    {
      principals: policy.admins,
      required: policy.adminQuorum,
      requester: '',
      now,
      maxLifetimeSeconds: maxApprovalLifetimeSeconds(policy),
      statementFor: (adminId, expiresAt) => encodeFirmwareStatement(deviceId, measurement, adminId, expiresAt),
    },
    approvals,
  );
}
