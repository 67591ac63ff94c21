// Custodian share files for a backup's wrap key. The 32-byte AES key is split M-of-N with Shamir's
// scheme over GF(2^8) (npm shamir-secret-sharing, independently audited). Each share file names its
// backup, custodian and position and carries a checksum over all of that, so a mistyped, damaged or
// swapped share is caught and named before anything is restored. The rebuilt key is then checked
// against the backup's key check value (a wrong but well-formed share set is caught there).
import { readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { combine, split } from 'shamir-secret-sharing';
import { encodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';

export const SHARE_FORMAT = 'hsm-backup-share/1';
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

export interface ShareFile {
  format: typeof SHARE_FORMAT;
  backupId: string;
  sourceDeviceId: string;
  custodian: string;
  /** 1-based position in the split. */
  index: number;
  threshold: number;
  shares: number;
  /** Hex of the Shamir share (its last byte is the x coordinate). */
  share: string;
  /** First 16 bytes of SHA-256 over the canonical encoding of every field above, hex. */
  checksum: string;
}

type Unsigned = Omit<ShareFile, 'checksum'>;

/** The share file's checksum (a typo guard, not an authenticator: see shareDigest). */
export function checksumOf(s: Unsigned): string {
  const digest = sha256(
    encodeCanonical({ format: s.format, backupId: s.backupId, sourceDeviceId: s.sourceDeviceId, custodian: s.custodian, index: s.index, threshold: s.threshold, shares: s.shares, share: s.share }),
  );
  return Buffer.from(digest.subarray(0, 16)).toString('hex');
}

export function checkLayout(threshold: number, shares: number, custodians: string[]): void {
  if (!Number.isInteger(shares) || shares < 2 || shares > 255) throw new ApplianceError('bad_request', '--shares must be an integer from 2 to 255');
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > shares)
    throw new ApplianceError('bad_request', '--threshold must be an integer from 2 to the number of shares (one share alone must never be enough)');
  if (custodians.length !== shares) throw new ApplianceError('bad_request', `name one custodian per share: ${shares} expected, ${custodians.length} given`);
  for (const c of custodians) if (!NAME_RE.test(c)) throw new ApplianceError('bad_request', `custodian name "${c}" must match ${NAME_RE}`);
  if (new Set(custodians).size !== custodians.length) throw new ApplianceError('bad_request', 'custodian names must be distinct');
}

/** Splits the wrap key into one share per custodian. The caller clears `wrapKey` afterwards. */
export async function splitWrapKey(wrapKey: Uint8Array, layout: { backupId: string; sourceDeviceId: string; threshold: number; custodians: string[] }): Promise<ShareFile[]> {
  checkLayout(layout.threshold, layout.custodians.length, layout.custodians);
  const parts = await split(wrapKey, layout.custodians.length, layout.threshold);
  return parts.map((p, i) => {
    const unsigned: Unsigned = {
      format: SHARE_FORMAT,
      backupId: layout.backupId,
      sourceDeviceId: layout.sourceDeviceId,
      custodian: layout.custodians[i]!,
      index: i + 1,
      threshold: layout.threshold,
      shares: layout.custodians.length,
      share: Buffer.from(p).toString('hex'),
    };
    p.fill(0);
    return { ...unsigned, checksum: checksumOf(unsigned) };
  });
}

export function shareFileName(s: { backupId: string; index: number; shares: number; custodian: string }): string {
  return `${s.backupId}-share-${s.index}-of-${s.shares}-${s.custodian}.json`;
}

/**
 * What the device records of each share in the signed backup: SHA-256 over the backup id, position,
 * custodian and share value. It reveals nothing of the share, and lets a restore name the exact file
 * that differs from what was handed out (a relabelled or altered share), even with a valid checksum.
 */
export function shareDigest(backupId: string, index: number, custodian: string, share: Uint8Array): Uint8Array {
  return sha256(encodeCanonical({ backupId, index, custodian, share }));
}

/** Refuses before any work if a share file or the backup file of this backup would overwrite something. */
export function assertOutputsFree(dir: string, backupId: string, custodians: string[], extra: string[]): void {
  const names = custodians.map((custodian, i) => join(dir, shareFileName({ backupId, index: i + 1, shares: custodians.length, custodian })));
  for (const p of [...names, ...extra]) if (existsSync(p)) throw new ApplianceError('conflict', `${p} exists; a backup never overwrites a file`);
}

/** Writes each share 0600 into `dir`; refuses to overwrite. Returns the paths. */
export function writeShareFiles(dir: string, shares: ShareFile[]): string[] {
  const paths = shares.map((s) => join(dir, shareFileName(s)));
  for (const p of paths) if (existsSync(p)) throw new ApplianceError('conflict', `${p} exists; shares are never overwritten`);
  shares.forEach((s, i) => {
    writeFileSync(paths[i]!, JSON.stringify(s, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(paths[i]!, 0o600);
  });
  return paths;
}

/** Reads and checks one share file; any fault names the file. */
export function readShareFile(path: string): ShareFile {
  const fault = (why: string) => new ApplianceError('bad_request', `share ${path}: ${why}`, { share: path });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw fault('cannot be read as a share file');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fault('is not a share file (a JSON object expected)');
  const s = raw as Partial<ShareFile>;
  if (s.format !== SHARE_FORMAT) throw fault(`is not a ${SHARE_FORMAT} file`);
  if (typeof s.backupId !== 'string' || typeof s.sourceDeviceId !== 'string' || typeof s.custodian !== 'string') throw fault('names no backup, device or custodian');
  const inRange = (v: unknown, lo: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= 255;
  if (!inRange(s.shares, 2) || !inRange(s.threshold, 2) || !inRange(s.index, 1) || (s.index as number) > (s.shares as number) || (s.threshold as number) > (s.shares as number))
    throw fault('has no valid index, threshold or share count');
  if (typeof s.share !== 'string' || !/^[0-9a-f]{66}$/.test(s.share)) throw fault('has no share value (33 bytes of hex expected)');
  if (typeof s.checksum !== 'string' || checksumOf(s as Unsigned) !== s.checksum) throw fault('checksum does not match: the share was mistyped or damaged');
  return s as ShareFile;
}

/**
 * Rebuilds the wrap key from share files of one backup. Checks each file, that they belong to
 * `backupId`, are distinct, and are at least the threshold, before combining.
 */
export async function combineShares(
  shares: { path: string; share: ShareFile }[],
  backup: { backupId: string; sourceDeviceId: string; threshold: number; shares: number; custodians: string[]; shareDigests: Uint8Array[] },
): Promise<Uint8Array> {
  for (const { path, share } of shares) {
    const fault = (why: string) => new ApplianceError('bad_request', `share ${path}: ${why}`, { share: path });
    if (share.backupId !== backup.backupId) throw fault(`belongs to backup ${share.backupId}, not ${backup.backupId}`);
    if (share.sourceDeviceId !== backup.sourceDeviceId || share.threshold !== backup.threshold || share.shares !== backup.shares)
      throw fault("its device, threshold or share count differs from the backup's");
    if (backup.custodians[share.index - 1] !== share.custodian) throw fault(`position ${share.index} belongs to custodian ${backup.custodians[share.index - 1] ?? '?'}, not ${share.custodian}`);
    const recorded = backup.shareDigests[share.index - 1];
    const digest = shareDigest(share.backupId, share.index, share.custodian, Uint8Array.from(Buffer.from(share.share, 'hex')));
    if (!recorded || Buffer.compare(Buffer.from(recorded), Buffer.from(digest)) !== 0) throw fault(`is not the share the device handed to ${share.custodian} (its value was altered)`);
  }
  const seen = new Map<number, string>();
  for (const { path, share } of shares) {
    const other = seen.get(share.index);
    if (other) throw new ApplianceError('bad_request', `shares ${other} and ${path} are the same share (#${share.index}); each custodian's share counts once`, { share: path });
    seen.set(share.index, path);
  }
  if (shares.length < backup.threshold) {
    throw new ApplianceError('bad_request', `${shares.length} share${shares.length === 1 ? '' : 's'} given; this backup needs ${backup.threshold} of its custodians' shares`, {
      needed: backup.threshold,
      given: shares.length,
    });
  }
  const parts = shares.map(({ share }) => Uint8Array.from(Buffer.from(share.share, 'hex')));
  try {
    return await combine(parts);
  } catch {
    throw new ApplianceError('bad_request', 'the shares cannot be combined');
  } finally {
    for (const p of parts) p.fill(0);
  }
}
