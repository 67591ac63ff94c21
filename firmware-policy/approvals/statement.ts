// The canonical approval statement an approver signs: it names the device, the intent digest, the
// approver and an expiry, so an approval cannot be replayed on another device, for another
// transaction, or after it expires.
import { encodeCanonical } from '../../protocol/cbor.js';

export interface ApprovalStatement {
  deviceId: string;
  intentDigest: Uint8Array;
  approverId: string;
  /** Unix seconds; the approval stops counting at this instant. */
  expiresAt: number;
}

export function encodeApprovalStatement(s: ApprovalStatement): Uint8Array {
  return encodeCanonical({
    type: 'approval',
    deviceId: s.deviceId,
    intentDigest: s.intentDigest,
    approverId: s.approverId,
    expiresAt: s.expiresAt,
  });
}

/** An approval as submitted: the statement's variable parts plus the signature over it. */
export interface Approval {
  approverId: string;
  expiresAt: number;
  signature: Uint8Array;
}
