// An admin's approval of restoring one backup: a signature over the device id and the SHA-256 of the
// backup file, with an expiry. A restore brings back the backup's policy and state, so it needs the
// admin quorum of that policy, like a policy change; the custodians' shares alone are not enough.
import { readFileSync, writeFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { decodeCoseSign1 } from '../../attestation/cose-sign1.js';
import { encodeRestoreStatement } from '../../firmware-policy/policy-governance.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import { signStatement, type ApproverKeyFile } from '../approver-key.js';

export const RESTORE_APPROVAL_FORMAT = 'hsm-restore-approval/1';

export interface RestoreApprovalFile {
  format: typeof RESTORE_APPROVAL_FORMAT;
  deviceId: string;
  backupHash: string;
  adminId: string;
  expiresAt: number;
  signature: string;
}

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

/** What a backup file is, for the admin about to approve restoring it. */
export function describeBackup(bytes: Uint8Array): { deviceId: string; backupId: string; backupHash: Uint8Array; createdAt: number } {
  let p: CborMap;
  try {
    p = decodeCanonical(decodeCoseSign1(bytes).payload ?? new Uint8Array()) as CborMap;
  } catch {
    throw new ApplianceError('bad_request', 'not a backup file');
  }
  const source = p?.source as CborMap | undefined;
  if (typeof p !== 'object' || p === null || typeof source?.deviceId !== 'string' || typeof p.backupId !== 'string') throw new ApplianceError('bad_request', 'not a backup file');
  return { deviceId: source.deviceId, backupId: p.backupId, backupHash: sha256(bytes), createdAt: Number(p.createdAt) };
}

export function signRestore(backupBytes: Uint8Array, key: ApproverKeyFile, expiresAt: number): RestoreApprovalFile {
  const b = describeBackup(backupBytes);
  const signature = signStatement(key, encodeRestoreStatement(b.deviceId, b.backupHash, key.id, expiresAt));
  return { format: RESTORE_APPROVAL_FORMAT, deviceId: b.deviceId, backupHash: hex(b.backupHash), adminId: key.id, expiresAt, signature: hex(signature) };
}

export function writeRestoreApproval(file: string, a: RestoreApprovalFile): void {
  writeFileSync(file, JSON.stringify(a, null, 2) + '\n', { flag: 'wx' });
}

export function readRestoreApproval(file: string): Approval {
  let a: unknown;
  try {
    a = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ApplianceError('bad_request', `cannot read restore approval ${file}`);
  }
  const r = a as Partial<RestoreApprovalFile> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    r.format !== RESTORE_APPROVAL_FORMAT ||
    typeof r.adminId !== 'string' ||
    typeof r.signature !== 'string' ||
    !/^0x([0-9a-f]{2})+$/.test(r.signature) ||
    !Number.isInteger(r.expiresAt)
  ) {
    throw new ApplianceError('bad_request', `${file} is not a ${RESTORE_APPROVAL_FORMAT} file`);
  }
  return { approverId: r.adminId, expiresAt: r.expiresAt as number, signature: Uint8Array.from(Buffer.from(r.signature.slice(2), 'hex')) };
}
