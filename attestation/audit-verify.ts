// The offline audit verifier. Trusting only the manufacturer CA (or the device certificate), it
// checks: the certificate chain; every entry's COSE_Sign1 signature by the device key (kid = device
// id); canonical encodings; contiguous seq; the hash chain; each entry's firmware measurement against
// an allowlist; and, given a signed quote of the log head, that the tail was not truncated. It stops
// at the first bad entry and names it.
import { equalBytes } from '../protocol/bytes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeCanonical, type CborMap } from '../protocol/cbor.js';
import { auditKindOf } from '../protocol/audit-kinds.js';
import { decodeCoseSign1, isCanonicalCoseSign1, verifyCoseSign1 } from './cose-sign1.js';
import { readDeviceIdentity, verifyChain } from './certificates.js';

export interface VerifyOptions {
  deviceCertPem: string;
  /** Manufacturer CA certificate; without it the device certificate is trusted as given. */
  caCertPem?: string;
  /** Allowed measurements (hex). Default: the device certificate's, plus firmware updates the log shows a quorum accepted. */
  allowedMeasurements?: string[];
  /** A COSE_Sign1 attestation quote from the same device (GET /v1/device/attestation). */
  quote?: Uint8Array;
}

export interface VerifyFault {
  /** Position in the file (0-based) and the seq the entry claims, when it could be read. */
  index: number;
  seq: number | null;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  deviceId: string | null;
  entries: number;
  firstSeq: number | null;
  lastSeq: number | null;
  headHash: string | null;
  fault?: VerifyFault;
  quoteHead?: { seq: number; hash: string };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function verifyAuditLog(entries: Uint8Array[], opts: VerifyOptions): Promise<VerifyReport> {
  const report: VerifyReport = { ok: false, deviceId: null, entries: entries.length, firstSeq: null, lastSeq: null, headHash: null };
  const fail = (index: number, seq: number | null, reason: string): VerifyReport => ({ ...report, fault: { index, seq, reason } });

  let identity;
  try {
    identity = readDeviceIdentity(opts.deviceCertPem);
  } catch {
    return fail(-1, null, 'the device certificate cannot be read');
  }
  if (opts.caCertPem && !(await verifyChain(opts.deviceCertPem, [], opts.caCertPem))) return fail(-1, null, 'the device certificate does not chain to the manufacturer CA');
  report.deviceId = identity.deviceId;
  const allowed = new Set(opts.allowedMeasurements ?? [hex(identity.measurement)]);

  let prevHash: Uint8Array | null = null;
  let prevSeq: number | null = null;
  const hashes = new Map<number, string>();
  for (let i = 0; i < entries.length; i++) {
    const bytes = entries[i]!;
    if (!isCanonicalCoseSign1(bytes)) return fail(i, prevSeq === null ? null : prevSeq + 1, 'entry is not a canonical COSE_Sign1');
    const cose = decodeCoseSign1(bytes);
    const kid = cose.protectedHeader.get(4);
    if (!(kid instanceof Uint8Array) || utf8.decode(kid) !== identity.deviceId) return fail(i, null, 'entry kid is not this device');
    if (!verifyCoseSign1(bytes, identity.publicKey)) return fail(i, null, 'entry signature does not verify with the device key');
    let p: CborMap;
    try {
      p = decodeCanonical(cose.payload ?? new Uint8Array()) as CborMap;
    } catch {
      return fail(i, null, 'entry payload is not canonical CBOR');
    }
    const seq = typeof p.seq === 'number' ? p.seq : null;
    if (seq === null) return fail(i, null, 'entry has no seq');
    if (p.deviceId !== identity.deviceId) return fail(i, seq, 'entry names another device');
    if (prevSeq !== null && seq !== prevSeq + 1) return fail(i, seq, `seq ${seq} follows ${prevSeq}: entries missing or out of order`);
    if (!(p.prevHash instanceof Uint8Array)) return fail(i, seq, 'entry has no prevHash');
    if (prevHash !== null && !equalBytes(p.prevHash, prevHash)) return fail(i, seq, 'prevHash does not match the previous entry: the chain is broken');
    if (prevHash === null && seq === 1 && !equalBytes(p.prevHash, new Uint8Array(32))) return fail(i, seq, 'the first entry does not start the chain');
    const measurement = p.measurement instanceof Uint8Array ? hex(p.measurement) : '';
    if (!allowed.has(measurement)) return fail(i, seq, `entry was made by firmware ${measurement || '(none)'}, which is not allowed`);
    // A firmware update the admin quorum accepted (recorded, like every entry, by allowed firmware)
    // extends the default allowlist. The approved measurement is `approvedMeasurement` in that entry.
    if (opts.allowedMeasurements === undefined && auditKindOf(p) === 'firmware.approve' && p.outcome === 'accepted' && p.approvedMeasurement instanceof Uint8Array) {
      allowed.add(hex(p.approvedMeasurement));
    }
    prevHash = sha256(bytes);
    hashes.set(seq, hex(prevHash));
    prevSeq = seq;
    if (report.firstSeq === null) report.firstSeq = seq;
    report.lastSeq = seq;
    report.headHash = hex(prevHash);
  }

  if (opts.quote) {
    if (!verifyCoseSign1(opts.quote, identity.publicKey)) return fail(entries.length, null, 'the quote is not signed by the device key');
    let q: CborMap;
    try {
      q = decodeCanonical(decodeCoseSign1(opts.quote).payload ?? new Uint8Array()) as CborMap;
    } catch {
      return fail(entries.length, null, 'the quote payload cannot be read');
    }
    const head = q.logHead as CborMap | undefined;
    if (q.deviceId !== identity.deviceId || !head || typeof head.seq !== 'number' || !(head.hash instanceof Uint8Array))
      return fail(entries.length, null, 'the quote is not a log-head quote of this device');
    report.quoteHead = { seq: head.seq, hash: hex(head.hash) };
    if (report.lastSeq === null || report.lastSeq < head.seq)
      return fail(entries.length, report.lastSeq, `the log ends at seq ${report.lastSeq ?? 0} but the device quoted a head at seq ${head.seq}: the tail was truncated`);
    const atHead = hashes.get(head.seq);
    if (atHead !== undefined && atHead !== hex(head.hash)) return fail(entries.length - 1, head.seq, `the entry at seq ${head.seq} is not the one the device quoted`);
  }
  return { ...report, ok: true };
}
