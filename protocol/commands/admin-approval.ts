// A signed approval as commands carry it: an approver's (request.approve) or an admin's, as the governance commands carry it (whitelist and policy approvals and
// cancels, a first policy, a time statement): who signed, until when it counts, and the signature over
// the command's statement. Parsers for the one-approval form (fields beside the command's own) and the
// list form (`approvals`).
import type { CborMap, CborValue } from '../cbor.js';
import { ApplianceError } from '../errors.js';
import { asMap, bytes, onlyKeys, str, uint } from '../args.js';

/** One approval as a caller sends it. */
export type AdminApprovalParams = {
  adminId: string;
  /** Unix seconds (device time); the approval stops counting at this instant. */
  expiresAt: number;
  signature: Uint8Array;
};

/** One approval as the device counts it (firmware-policy's Approval). */
export type AdminApproval = {
  approverId: string;
  expiresAt: number;
  signature: Uint8Array;
};

/**
 * The signature fields of one approval (the signer's id under `idField`), at most `maxSignature` bytes
 * of signature (512; request.approve allows a passkey assertion's 2,048); the caller has refused
 * unknown fields.
 */
export function signedApproval(m: CborMap, idField: 'adminId' | 'approverId', maxSignature = 512): AdminApproval {
  return { approverId: str(m, idField, 128), expiresAt: uint(m, 'expiresAt'), signature: bytes(m, 'signature', undefined, maxSignature) };
}

/** An admin's approval fields of `m`. */
export function parseAdminApproval(m: CborMap): AdminApproval {
  return signedApproval(m, 'adminId');
}

/** `approvals`: an array of 1 to 64 { adminId, expiresAt, signature }. */
export function parseAdminApprovals(v: CborValue | undefined, field = 'approvals'): AdminApproval[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) throw new ApplianceError('bad_request', `"${field}" expected an array of 1 to 64 signed admin approvals`, { field });
  return v.map((item, i) => {
    const m = asMap(item, `${field}[${i}]`);
    onlyKeys(m, `${field}[${i}]`, ['adminId', 'expiresAt', 'signature']);
    return parseAdminApproval(m);
  });
}

/** What an admin sends to approve or cancel a proposal: its id and one approval. */
export type ProposalApprovalParams = { proposalId: string } & AdminApprovalParams;

export interface ProposalApprovalArgs {
  proposalId: string;
  approval: AdminApproval;
}

export function parseProposalApproval(m: CborMap): ProposalApprovalArgs {
  onlyKeys(m, 'args', ['proposalId', 'adminId', 'expiresAt', 'signature']);
  return { proposalId: str(m, 'proposalId', 64), approval: parseAdminApproval(m) };
}
