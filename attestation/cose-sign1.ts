// COSE_Sign1 (RFC 9052 §4.2, Sig_structure §4.4) for the attested audit log (DESIGN.md "Wire protocol":
// audit entries are COSE_Sign1 over a canonical CBOR payload). Algorithms (RFC 9053): ES256 (§2.1, ECDSA
// P-256 + SHA-256, signature is raw r||s, never DER) and EdDSA (§2.2, Ed25519 only). Pure: no node:* imports,
// no Buffer, no clock; shared by the appliance and the offline verifier.
//
// Two readings of a message:
// - lenient (decodeCoseSign1, verifyCoseSign1): any well-formed CBOR encoding of the parts (RFC 8949 §5.3),
//   tagged (18) or untagged, so messages from other COSE tools can be checked. protocol/cbor.ts refuses
//   tags other than 2/3 and every non-deterministic encoding, so this file carries its own small lenient
//   reader. Header values decode to: number (bigint beyond 2^53), string, Uint8Array, boolean, null,
//   undefined, float as number, arrays, Map (any key type), CborTag (other tags) and CborSimple.
// - strict (isCanonicalCoseSign1): exactly the bytes signCoseSign1 writes for the parts: tag 18,
//   deterministic encoding (RFC 8949 §4.2.1), protected {1: alg, 4: kid}, empty unprotected map.
//
// Decisions other modules rely on:
// - alg must be in the protected bucket (RFC 9052 §3.1: alg "MUST be authenticated where the ability to do
//   so exists"); an alg only in the unprotected bucket is refused ('alg_not_protected') unless the caller
//   opts in with allowUnprotectedAlg (standards interop, never for our own entries). The key must fit
//   the alg (ES256: SEC1 33/65 bytes; EdDSA: 32 bytes), so one key cannot be used under two algorithms.
// - a header label twice in one map, or in both buckets, is malformed (RFC 9052 §3); any `crit` (label 2)
//   is refused, as we implement no extension header parameters.
// - the Sig_structure uses the protected bytes exactly as carried, except that an empty protected map
//   counts as the zero-length string (RFC 9052 §4.4).
// - a message with an embedded payload AND a detachedPayload argument is refused (ambiguous).
// - verifyCoseSign1 never throws; decodeCoseSign1 throws only ApplianceError('bad_request').
import { equalBytes } from '../protocol/bytes.js';
import { encodeCanonical, MAX_NESTING_DEPTH, type CborValue } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { verifyEd25519, verifyP256 } from '../protocol/signature-verify.js';

export const COSE_ALG_ES256 = -7;
export const COSE_ALG_EDDSA = -8;
/** CBOR tag of COSE_Sign1 (RFC 9052 §2). */
export const COSE_SIGN1_TAG = 18;

const LABEL_ALG = 1;
const LABEL_CRIT = 2;
const LABEL_KID = 4;
/** Both algorithms have 64-byte signatures (RFC 9053 §2.1 r||s for P-256; RFC 8032 for Ed25519). */
const SIGNATURE_LEN = 64;
const EMPTY = new Uint8Array(0);
const TAG18_HEAD = 0xd2; // major type 6, argument 18

export interface CoseSign1 {
  protectedBytes: Uint8Array; // the protected header exactly as carried (a bstr wrapping a CBOR map, or empty)
  protectedHeader: Map<number | string, unknown>;
  unprotectedHeader: Map<number | string, unknown>;
  payload: Uint8Array | null; // null when detached
  signature: Uint8Array;
  tagged: boolean;
}

/** A tag other than 18 met inside a header value. */
export class CborTag {
  constructor(
    readonly tag: number | bigint,
    readonly value: unknown,
  ) {}
}

/** A simple value other than false/true/null/undefined (RFC 8949 §3.3). */
export class CborSimple {
  constructor(readonly value: number) {}
}

/** Why verification refused a message: returned by checkCoseSign1, never thrown. */
export type CoseRejectReason =
  | 'bad_argument' // key / options are not byte strings
  | 'malformed' // not a well-formed COSE_Sign1
  | 'wrong_tag' // tagged, but not with 18
  | 'missing_alg'
  | 'alg_not_protected'
  | 'unsupported_alg' // alg other than ES256 / EdDSA
  | 'unsupported_crit'
  | 'missing_payload' // detached payload and none given
  | 'payload_conflict' // embedded payload and a detached one given
  | 'bad_key' // key does not fit the alg
  | 'bad_signature';

export type CoseCheckResult = { ok: true; alg: number } | { ok: false; reason: CoseRejectReason };

const malformed = (message: string, details?: Record<string, unknown>): ApplianceError => new ApplianceError('bad_request', message, details);

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** A plain Uint8Array over the same memory (a Buffer's slice would alias instead of copying). */
function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// ---------------------------------------------------------------------------------------------------
// Lenient reader: every well-formed CBOR item (RFC 8949 §5.3), with the validity checks COSE needs
// (UTF-8 text, no duplicate map keys) and the nesting limit of protocol/cbor.ts.

interface Cursor {
  b: Uint8Array;
  at: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function truncated(c: Cursor): ApplianceError {
  return malformed('truncated CBOR', { offset: c.at });
}

function readUint(c: Cursor, n: number): number {
  if (c.at + n > c.b.length) throw truncated(c);
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + c.b[c.at + i]!;
  c.at += n;
  return v;
}

/** The argument of a head; a number when safe, else a bigint. */
function readArgument(c: Cursor, ai: number): number | bigint {
  if (ai < 24) return ai;
  if (ai === 24) return readUint(c, 1);
  if (ai === 25) return readUint(c, 2);
  if (ai === 26) return readUint(c, 4);
  const hi = readUint(c, 4);
  const lo = readUint(c, 4);
  const v = hi * 0x1_0000_0000 + lo;
  return v <= Number.MAX_SAFE_INTEGER ? v : (BigInt(hi) << 32n) | BigInt(lo);
}

/** A length that fits in the remaining input at `minItemSize` bytes per element. */
function readLength(c: Cursor, arg: number | bigint, minItemSize: number): number {
  if (typeof arg === 'bigint' || arg * minItemSize > c.b.length - c.at) throw truncated(c);
  return arg;
}

function enter(depth: number): void {
  if (depth >= MAX_NESTING_DEPTH) throw malformed(`nesting deeper than ${MAX_NESTING_DEPTH} levels`);
}

/** True (and consumed) when the next byte is a break (0xff). */
function atBreak(c: Cursor): boolean {
  if (c.at >= c.b.length) throw truncated(c);
  if (c.b[c.at] !== 0xff) return false;
  c.at++;
  return true;
}

function readItem(c: Cursor, depth: number): unknown {
  if (c.at >= c.b.length) throw truncated(c);
  const start = c.at;
  const ib = c.b[c.at++]!;
  const major = ib >>> 5;
  const ai = ib & 0x1f;
  if (ai >= 28 && ai <= 30) throw malformed('reserved additional information', { offset: start });
  if (ai === 31) return readIndefinite(c, major, depth, start);
  if (major === 7) return readSimple(c, ai, start);
  const arg = readArgument(c, ai);
  switch (major) {
    case 0:
      return arg;
    case 1:
      return typeof arg === 'number' && arg < Number.MAX_SAFE_INTEGER ? -1 - arg : -1n - BigInt(arg);
    case 2: {
      const n = readLength(c, arg, 1);
      const out = c.b.slice(c.at, c.at + n);
      c.at += n;
      return out;
    }
    case 3: {
      const n = readLength(c, arg, 1);
      const s = c.at;
      c.at += n;
      try {
        return utf8.decode(c.b.subarray(s, s + n));
      } catch {
        throw malformed('text is not valid UTF-8', { offset: s });
      }
    }
    case 4: {
      const n = readLength(c, arg, 1);
      enter(depth);
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(readItem(c, depth + 1));
      return a;
    }
    case 5: {
      const n = readLength(c, arg, 2);
      enter(depth);
      const m = new Map<unknown, unknown>();
      const seenBytes = new Set<string>();
      for (let i = 0; i < n; i++) putEntry(c, m, seenBytes, depth + 1);
      return m;
    }
    default: {
      // 6: tag
      enter(depth);
      return new CborTag(arg, readItem(c, depth + 1));
    }
  }
}

function readIndefinite(c: Cursor, major: number, depth: number, start: number): unknown {
  switch (major) {
    case 2:
    case 3: {
      // Chunks are definite-length strings of the same major type (RFC 8949 §3.2.3).
      const chunks: unknown[] = [];
      while (!atBreak(c)) {
        const ib = c.b[c.at]!;
        if (ib >>> 5 !== major || (ib & 0x1f) === 31) throw malformed('bad chunk in an indefinite string', { offset: c.at });
        chunks.push(readItem(c, depth));
      }
      if (major === 3) return (chunks as string[]).join('');
      const parts = chunks as Uint8Array[];
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let off = 0;
      for (const p of parts) {
        out.set(p, off);
        off += p.length;
      }
      return out;
    }
    case 4: {
      enter(depth);
      const a: unknown[] = [];
      while (!atBreak(c)) a.push(readItem(c, depth + 1));
      return a;
    }
    case 5: {
      enter(depth);
      const m = new Map<unknown, unknown>();
      const seenBytes = new Set<string>();
      while (!atBreak(c)) putEntry(c, m, seenBytes, depth + 1);
      return m;
    }
    case 7:
      throw malformed('unexpected break', { offset: start });
    default:
      throw malformed('indefinite length on an integer or tag', { offset: start });
  }
}

/** One key/value pair; keys that decode to the same JS value (or the same bytes) are duplicates. */
function putEntry(c: Cursor, m: Map<unknown, unknown>, seenBytes: Set<string>, depth: number): void {
  const keyAt = c.at;
  const k = readItem(c, depth);
  if (isBytes(k)) {
    let hex = '';
    for (const x of k) hex += x.toString(16).padStart(2, '0');
    if (seenBytes.has(hex)) throw malformed('duplicate map key', { offset: keyAt });
    seenBytes.add(hex);
  } else if (m.has(k)) {
    throw malformed('duplicate map key', { offset: keyAt });
  }
  m.set(k, readItem(c, depth));
}

function readSimple(c: Cursor, ai: number, start: number): unknown {
  switch (ai) {
    case 20:
      return false;
    case 21:
      return true;
    case 22:
      return null;
    case 23:
      return undefined;
    case 24: {
      const v = readUint(c, 1);
      if (v < 32) throw malformed('simple value in two bytes below 32', { offset: start });
      return new CborSimple(v);
    }
    case 25:
      return halfToNumber(readUint(c, 2));
    case 26: {
      if (c.at + 4 > c.b.length) throw truncated(c);
      const v = new DataView(c.b.buffer, c.b.byteOffset + c.at, 4).getFloat32(0);
      c.at += 4;
      return v;
    }
    case 27: {
      if (c.at + 8 > c.b.length) throw truncated(c);
      const v = new DataView(c.b.buffer, c.b.byteOffset + c.at, 8).getFloat64(0);
      c.at += 8;
      return v;
    }
    default:
      return new CborSimple(ai); // 0..19 (28..31 were handled by the caller)
  }
}

/** IEEE 754 binary16 (RFC 8949 Appendix D). */
function halfToNumber(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

// ---------------------------------------------------------------------------------------------------
// COSE structure: [protected: bstr, unprotected: header_map, payload: bstr / nil, signature: bstr],
// optionally as tag 18 (RFC 9052 §4.2).

/** A header map (RFC 9052 §3): labels are int or tstr, each at most once. */
function readHeaderMap(c: Cursor, depth: number, bucket: string): Map<number | string, unknown> {
  if (c.at >= c.b.length) throw truncated(c);
  const ib = c.b[c.at++]!;
  const ai = ib & 0x1f;
  if (ib >>> 5 !== 5 || (ai >= 28 && ai <= 30)) throw malformed(`${bucket} header is not a map`);
  const indefinite = ai === 31;
  const n = indefinite ? Infinity : readLength(c, readArgument(c, ai), 2);
  enter(depth);
  const m = new Map<number | string, unknown>();
  for (let i = 0; i < n; i++) {
    if (indefinite && atBreak(c)) break;
    const keyAt = c.at;
    if (keyAt >= c.b.length) throw truncated(c);
    const km = c.b[keyAt]! >>> 5;
    // Judged on the encoding: a float with an integral value would otherwise pass for an int label.
    if (km !== 0 && km !== 1 && km !== 3) throw malformed(`${bucket} header label is not an int or text`, { offset: keyAt });
    const k = readItem(c, depth + 1);
    if (typeof k === 'bigint') throw malformed(`${bucket} header label out of range`, { offset: keyAt });
    if (m.has(k as number | string)) throw malformed(`duplicate label in the ${bucket} header`, { offset: keyAt });
    m.set(k as number | string, readItem(c, depth + 1));
  }
  return m;
}

function decodeInternal(bytes: Uint8Array): CoseSign1 {
  if (!isBytes(bytes)) throw malformed('COSE_Sign1 input must be a Uint8Array');
  const c: Cursor = { b: plain(bytes), at: 0 };
  if (c.b.length === 0) throw truncated(c);
  let tagged = false;
  if (c.b[0]! >>> 5 === 6) {
    const ai = c.b[c.at++]! & 0x1f;
    if (ai >= 28) throw malformed('malformed tag head');
    const tag = readArgument(c, ai);
    if (tag !== COSE_SIGN1_TAG) throw malformed('not a COSE_Sign1 tag', { reason: 'wrong_tag', tag: String(tag) });
    tagged = true;
  }
  if (c.at >= c.b.length) throw truncated(c);
  const ib = c.b[c.at++]!;
  const ai = ib & 0x1f;
  const indefinite = ai === 31;
  if (ib >>> 5 !== 4 || (ai >= 28 && !indefinite) || (!indefinite && readArgument(c, ai) !== 4)) {
    throw malformed('COSE_Sign1 must be an array of 4 items');
  }
  const protectedBytes = readItem(c, 1);
  const unprotectedHeader = readHeaderMap(c, 1, 'unprotected');
  const payload = readItem(c, 1);
  const signature = readItem(c, 1);
  if (indefinite && !atBreak(c)) throw malformed('COSE_Sign1 must be an array of 4 items');
  if (c.at !== c.b.length) throw malformed('trailing bytes after the COSE_Sign1', { offset: c.at });
  if (!isBytes(protectedBytes)) throw malformed('protected header must be a byte string');
  if (payload !== null && !isBytes(payload)) throw malformed('payload must be a byte string or nil');
  if (!isBytes(signature)) throw malformed('signature must be a byte string');

  let protectedHeader = new Map<number | string, unknown>();
  if (protectedBytes.length > 0) {
    const pc: Cursor = { b: protectedBytes, at: 0 };
    protectedHeader = readHeaderMap(pc, 0, 'protected');
    if (pc.at !== protectedBytes.length) throw malformed('trailing bytes after the protected header');
  }
  for (const k of unprotectedHeader.keys()) {
    if (protectedHeader.has(k)) throw malformed('header label in both buckets', { label: k });
  }
  return { protectedBytes, protectedHeader, unprotectedHeader, payload, signature, tagged };
}

/** Lenient structural decode; throws ApplianceError('bad_request') on malformed input, never anything else. */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  try {
    return decodeInternal(bytes);
  } catch (e) {
    if (e instanceof ApplianceError && e.code === 'bad_request') throw e;
    throw new ApplianceError('bad_request', 'malformed COSE_Sign1', undefined, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------------
// Signing.

/** Sig_structure for COSE_Sign1 (RFC 9052 §4.4): ["Signature1", body_protected, external_aad, payload], deterministically encoded. */
export function sigStructure1(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  if (!isBytes(protectedBytes) || !isBytes(externalAad) || !isBytes(payload)) {
    throw malformed('"protectedBytes", "externalAad" and "payload" must be Uint8Arrays');
  }
  return encodeCanonical(['Signature1', protectedBytes, externalAad, payload]);
}

interface SignInput {
  alg: number;
  kid: string;
  payload: Uint8Array;
  externalAad?: Uint8Array;
}

/** The protected header we write: {1: alg, 4: h'<utf-8 kid>'}, deterministically encoded. */
function protectedFor(alg: number, kid: string): Uint8Array {
  return encodeCanonical(
    new Map<CborValue, CborValue>([
      [LABEL_ALG, alg],
      [LABEL_KID, utf8Encoder.encode(kid)],
    ]),
  );
}

function prepare(opts: SignInput): { protectedBytes: Uint8Array; toBeSigned: Uint8Array } {
  if (typeof opts !== 'object' || opts === null) throw malformed('sign options must be an object');
  const { alg, kid, payload, externalAad = EMPTY } = opts;
  if (alg !== COSE_ALG_ES256 && alg !== COSE_ALG_EDDSA) throw malformed('"alg" must be ES256 (-7) or EdDSA (-8)', { alg });
  // A lone surrogate has no UTF-8 form (TextEncoder would silently write U+FFFD instead).
  if (typeof kid !== 'string' || kid.length === 0 || /\p{Cs}/u.test(kid)) {
    throw malformed('"kid" must be a non-empty, well-formed string');
  }
  if (!isBytes(payload)) throw malformed('"payload" must be a Uint8Array');
  if (!isBytes(externalAad)) throw malformed('"externalAad" must be a Uint8Array');
  const protectedBytes = protectedFor(alg, kid);
  return { protectedBytes, toBeSigned: sigStructure1(protectedBytes, externalAad, payload) };
}

/** Tag 18 + [protected, {}, payload, signature], deterministically encoded. */
function assemble(protectedBytes: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  const body = encodeCanonical([protectedBytes, new Map<CborValue, CborValue>(), payload, signature]);
  const out = new Uint8Array(1 + body.length);
  out[0] = TAG18_HEAD;
  out.set(body, 1);
  return out;
}

function checkSignature(signature: unknown): Uint8Array {
  if (!isBytes(signature) || signature.length !== SIGNATURE_LEN) {
    throw new ApplianceError('internal', `signer must return ${SIGNATURE_LEN} raw signature bytes`);
  }
  return Uint8Array.from(signature);
}

/** Builds a tagged (18) COSE_Sign1 with protected {1: alg, 4: kid} and an empty unprotected map; `sign` receives the Sig_structure bytes and returns the raw signature (64 bytes). */
export async function signCoseSign1(opts: SignInput & { sign: (toBeSigned: Uint8Array) => Promise<Uint8Array> }): Promise<Uint8Array> {
  const { protectedBytes, toBeSigned } = prepare(opts);
  const signature = checkSignature(await opts.sign(toBeSigned));
  return assemble(protectedBytes, opts.payload, signature);
}

/** Same, synchronous signer (for callers inside a database transaction). */
export function signCoseSign1Sync(opts: SignInput & { sign: (toBeSigned: Uint8Array) => Uint8Array }): Uint8Array {
  const { protectedBytes, toBeSigned } = prepare(opts);
  const signature = checkSignature(opts.sign(toBeSigned));
  return assemble(protectedBytes, opts.payload, signature);
}

// ---------------------------------------------------------------------------------------------------
// Verification.

/** verifyCoseSign1 with the reason for a refusal. Never throws. */
export interface CoseVerifyOptions {
  externalAad?: Uint8Array;
  detachedPayload?: Uint8Array;
  /**
   * Accept an alg carried only in the unprotected bucket (RFC 9052 allows it where it cannot be
   * authenticated; the cose-wg "sign-pass-01" example does this). Off by default: our own entries
   * always protect alg, and the audit verifier also requires the canonical form.
   */
  allowUnprotectedAlg?: boolean;
}

export function checkCoseSign1(bytes: Uint8Array, publicKey: Uint8Array, opts?: CoseVerifyOptions): CoseCheckResult {
  const no = (reason: CoseRejectReason): CoseCheckResult => ({ ok: false, reason });
  try {
    const externalAad = opts?.externalAad ?? EMPTY;
    const detached = opts?.detachedPayload;
    if (!isBytes(publicKey) || !isBytes(externalAad) || (detached !== undefined && !isBytes(detached))) {
      return no('bad_argument');
    }
    let msg: CoseSign1;
    try {
      msg = decodeInternal(bytes);
    } catch (e) {
      return no(e instanceof ApplianceError && e.details?.['reason'] === 'wrong_tag' ? 'wrong_tag' : 'malformed');
    }
    if (msg.protectedHeader.has(LABEL_CRIT) || msg.unprotectedHeader.has(LABEL_CRIT)) return no('unsupported_crit');
    let alg: unknown;
    if (msg.protectedHeader.has(LABEL_ALG)) alg = msg.protectedHeader.get(LABEL_ALG);
    else if (!msg.unprotectedHeader.has(LABEL_ALG)) return no('missing_alg');
    else if (opts?.allowUnprotectedAlg === true) alg = msg.unprotectedHeader.get(LABEL_ALG);
    else return no('alg_not_protected');
    if (alg !== COSE_ALG_ES256 && alg !== COSE_ALG_EDDSA) return no('unsupported_alg');
    let payload: Uint8Array;
    if (msg.payload !== null) {
      if (detached !== undefined) return no('payload_conflict');
      payload = msg.payload;
    } else {
      if (detached === undefined) return no('missing_payload');
      payload = detached;
    }
    if (alg === COSE_ALG_ES256 ? publicKey.length !== 33 && publicKey.length !== 65 : publicKey.length !== 32) {
      return no('bad_key');
    }
    if (msg.signature.length !== SIGNATURE_LEN) return no('bad_signature');
    // RFC 9052 §4.4: with no protected attributes, body_protected is the zero-length string, even
    // when the message carries an encoded empty map (h'a0').
    const bodyProtected = msg.protectedHeader.size === 0 ? EMPTY : msg.protectedBytes;
    const toBeSigned = sigStructure1(bodyProtected, externalAad, payload);
    const valid =
      alg === COSE_ALG_ES256
        ? verifyP256(publicKey, toBeSigned, msg.signature, 'p1363') // p256.verify: prehash, compact, lowS false
        : verifyEd25519(publicKey, toBeSigned, msg.signature);
    return valid ? { ok: true, alg } : no('bad_signature');
  } catch {
    return no('malformed');
  }
}

/** Verifies an ES256 (P-256, raw r||s) or EdDSA (Ed25519) COSE_Sign1; false (never throws) on any mismatch or malformed input. */
export function verifyCoseSign1(bytes: Uint8Array, publicKey: Uint8Array, opts?: CoseVerifyOptions): boolean {
  return checkCoseSign1(bytes, publicKey, opts).ok;
}

/** Strict form for our own audit entries: the bytes must be exactly what signCoseSign1 produces for their parts (tag 18, deterministic encoding), else false. Structure only: the signature is not checked. */
export function isCanonicalCoseSign1(bytes: Uint8Array): boolean {
  try {
    const msg = decodeInternal(bytes);
    if (!msg.tagged || msg.payload === null || msg.unprotectedHeader.size !== 0) return false;
    if (msg.protectedHeader.size !== 2 || msg.signature.length !== SIGNATURE_LEN) return false;
    const alg = msg.protectedHeader.get(LABEL_ALG);
    const kid = msg.protectedHeader.get(LABEL_KID);
    if ((alg !== COSE_ALG_ES256 && alg !== COSE_ALG_EDDSA) || !isBytes(kid) || kid.length === 0) return false;
    const rebuilt = assemble(protectedFor(alg, utf8.decode(kid)), msg.payload, msg.signature);
    return equalBytes(rebuilt, plain(bytes));
  } catch {
    return false;
  }
}
