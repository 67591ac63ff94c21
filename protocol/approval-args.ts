// Signed approvals as command arguments: one approval in the command's own fields (request.approve,
// firmware.approve…) or the `approvals` array a quorum command carries (each { adminId, expiresAt,
// signature }), checked at the boundary and named as the approval verifier takes them (approverId).
import type { CborMap, CborValue } from './cbor.js';
import { ApplianceError } from './errors.js';
import { asMap, bytes, onlyKeys, str, uint } from './args.js';

/** One admin's approval as sent. */
export type AdminApprovalParam = {
  adminId: string;
  /** Unix seconds; the approval stops counting at this instant. */
  expiresAt: number;
  signature: Uint8Array;
};

/** An approval as checked: the statement's variable parts and the signature over it. */
export interface SignedApproval {
  approverId: string;
  expiresAt: number;
  signature: Uint8Array;
}

/** The signature fields of one approval, at most 512 bytes (a WebAuthn assertion fits). */
export function signedApproval(m: CborMap, idField: string): SignedApproval {
  return { approverId: str(m, idField, 128), expiresAt: uint(m, 'expiresAt'), signature: bytes(m, 'signature', undefined, 512) };
}

/** Parses `approvals`: an array of 1 to 64 { adminId, expiresAt, signature }. */
export function adminApprovals(v: CborValue | undefined, field = 'approvals'): SignedApproval[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) throw new ApplianceError('bad_request', `"${field}" expected an array of 1 to 64 signed admin approvals`, { field });
  return v.map((item, i) => {
    const m = asMap(item, `${field}[${i}]`);
    onlyKeys(m, `${field}[${i}]`, ['adminId', 'expiresAt', 'signature']);
    return signedApproval(m, 'adminId');
  });
}
