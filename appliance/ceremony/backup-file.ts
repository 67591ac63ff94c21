// The backup file: a COSE_Sign1 (ES256, kid = device id) signed by the source device's attestation
// key over a canonical CBOR payload. It carries the keys wrapped under the ceremony's wrap key
// (AES-256, CKM_AES_KEY_WRAP_PAD), their metadata and certificates, the state snapshot with its hash,
// the source device's identity and log head, the share layout, and a key check value that tells a
// restore whether the custodians' shares rebuilt the right wrap key. The wrap key itself is not in it.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { decodeCoseSign1, isCanonicalCoseSign1, verifyCoseSign1 } from '../../attestation/cose-sign1.js';
import { readDeviceIdentity, verifyChain } from '../../attestation/certificates.js';
import { snapshotHash } from './state-snapshot.js';

export const BACKUP_TYPE = 'hsm-key-backup';
export const BACKUP_VERSION = 1;

/** Key check value: HMAC-SHA256(wrap key, label || backup id). Reveals nothing about the key. */
export function keyCheckValue(wrapKey: Uint8Array, backupId: string): Uint8Array {
  return hmac(sha256, wrapKey, new TextEncoder().encode(`hsm-backup-kcv/1:${backupId}`));
}

export interface VerifiedBackup {
  payload: CborMap;
  backupId: string;
  sourceDeviceId: string;
  threshold: number;
  shares: number;
  custodians: string[];
  kcv: Uint8Array;
  /** Per position (1-based index - 1): the digest of the share handed to that custodian. */
  shareDigests: Uint8Array[];
  /** SHA-256 of the file's bytes, named in the source's and the restored device's logs. */
  fileHash: Uint8Array;
}

const bad = (why: string) => new ApplianceError('bad_request', `backup file rejected: ${why}`);

/**
 * Checks a backup file before anything is restored: canonical COSE_Sign1, signed by the device key
 * that its embedded device certificate certifies, that certificate issued by the manufacturer CA,
 * and the state snapshot matching its recorded hash.
 */
export async function verifyBackupFile(bytes: Uint8Array, caCertPem: string): Promise<VerifiedBackup> {
  if (!isCanonicalCoseSign1(bytes)) throw bad('not a canonical COSE_Sign1');
  let payload: CborMap;
  try {
    const decoded = decodeCanonical(decodeCoseSign1(bytes).payload ?? new Uint8Array());
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded) || decoded instanceof Uint8Array) throw new Error('not a map');
    payload = decoded as CborMap;
  } catch {
    throw bad('payload is not a canonical CBOR map');
  }
  if (payload.type !== BACKUP_TYPE || payload.version !== BACKUP_VERSION) throw bad(`not a ${BACKUP_TYPE} v${BACKUP_VERSION}`);
  const source = payload.source as CborMap | undefined;
  if (typeof source !== 'object' || source === null || typeof source.deviceCertificate !== 'string') throw bad('no source device certificate');
  if (!(await verifyChain(source.deviceCertificate, [], caCertPem))) throw bad('the source device certificate does not chain to the manufacturer CA');
  const identity = readDeviceIdentity(source.deviceCertificate);
  if (identity.deviceId !== source.deviceId) throw bad('the certificate names another device');
  if (!verifyCoseSign1(bytes, identity.publicKey)) throw bad('the signature does not verify with the source device key');
  const state = payload.state as CborMap | undefined;
  if (!state || !(payload.stateHash instanceof Uint8Array) || Buffer.compare(Buffer.from(snapshotHash(state)), Buffer.from(payload.stateHash)) !== 0)
    throw bad('the state snapshot does not match its hash');
  const { backupId, threshold, shares, custodians, kcv, shareDigests } = payload;
  if (typeof backupId !== 'string' || typeof threshold !== 'number' || typeof shares !== 'number' || !Array.isArray(custodians) || !(kcv instanceof Uint8Array)) throw bad('share layout missing');
  if (!Array.isArray(shareDigests) || shareDigests.length !== shares || custodians.length !== shares || !shareDigests.every((d) => d instanceof Uint8Array)) throw bad('share digests missing');
  return { payload, backupId, sourceDeviceId: identity.deviceId, threshold, shares, custodians: custodians.map(String), kcv, shareDigests: shareDigests as Uint8Array[], fileHash: sha256(bytes) };
}
