// Raw signature verification, the primitives every layer shares: the approval verifier
// (firmware-policy/approvals/verify-signature.ts) and COSE_Sign1 (attestation/cose-sign1.ts). Pure: no
// I/O, no clock, no randomness; only @noble imports.
//
// - P-256: ECDSA with SHA-256 (FIPS 186-5 §6.4.2, SEC 1 §4.1.4). Signatures as strict ASN.1 DER
//   `SEQUENCE { INTEGER r, INTEGER s }` (X.690 DER: minimal lengths, minimal integers, no trailing
//   bytes) or IEEE P1363 `r || s` (64 bytes), as the caller asks. High-s is valid: P-256 has no
//   low-s rule (that is a Bitcoin/Ethereum convention).
// - Ed25519 per RFC 8032 §5.1.7, strict: canonical A and R encodings (y < p, no "-0"), S < L,
//   small-order A rejected, and the cofactorless equation [S]B = R + [k]A, which implies the
//   cofactored one RFC 8032 allows. Stricter than ZIP-215 on purpose: one message, one accepted
//   signature byte string.
//
// A malformed key or signature is not an error here: it simply does not verify, so every function
// returns false instead of throwing.
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';

export type EcdsaEncoding = 'der' | 'p1363';

const P256_COMPRESSED_LEN = 33;
const P256_UNCOMPRESSED_LEN = 65;
const P256_P1363_LEN = 64;
/** 0x30 len 0x02 33 bytes 0x02 33 bytes: the longest DER a P-256 (r, s) pair can need. */
const P256_DER_MAX_LEN = 72;
const ED25519_KEY_LEN = 32;
const ED25519_SIG_LEN = 64;

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** P-256 ECDSA over SHA-256 of `message`. publicKey: SEC1 (65-byte uncompressed or 33-byte compressed). High-s is valid for P-256 (no low-s rule). */
export function verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, encoding: EcdsaEncoding): boolean {
  try {
    if (!isBytes(publicKey) || !isBytes(message) || !isBytes(signature)) return false;
    if (publicKey.length !== P256_COMPRESSED_LEN && publicKey.length !== P256_UNCOMPRESSED_LEN) return false;
    let format: 'der' | 'compact';
    if (encoding === 'der') {
      if (signature.length < 8 || signature.length > P256_DER_MAX_LEN) return false;
      format = 'der';
    } else if (encoding === 'p1363') {
      if (signature.length !== P256_P1363_LEN) return false;
      format = 'compact';
    } else {
      return false;
    }
    // noble's DER parser is strict (minimal lengths and integers, no trailing bytes, r and s in
    // [1, n-1]); `lowS: false` because noble defaults to the Bitcoin-style low-s rule.
    return p256.verify(signature, message, publicKey, { prehash: true, lowS: false, format }) === true;
  } catch {
    return false;
  }
}

function bytesToBigIntLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Ed25519, RFC 8032 strict (cofactorless, reject non-canonical S and R/A encodings as the Wycheproof vectors expect). publicKey 32 bytes. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!isBytes(publicKey) || !isBytes(message) || !isBytes(signature)) return false;
    if (publicKey.length !== ED25519_KEY_LEN || signature.length !== ED25519_SIG_LEN) return false;
    // Step 1: noble in strict mode (zip215: false) decodes A and R canonically, checks S < L,
    // rejects small-order A and checks the cofactored equation [8][S]B = [8]R + [8][k]A.
    if (ed25519.verify(signature, message, publicKey, { zip215: false }) !== true) return false;
    // Step 2: the cofactorless equation [S]B = R + [k]A, k = SHA-512(R || A || M) mod L.
    // It rejects signatures whose R carries a small-order component, which the cofactored check
    // lets through, so exactly one R is accepted for a given (A, M, S).
    const { Point } = ed25519;
    const rBytes = signature.subarray(0, 32);
    const A = Point.fromBytes(publicKey, false);
    const R = Point.fromBytes(rBytes, false);
    const S = bytesToBigIntLE(signature.subarray(32, 64));
    if (S >= Point.Fn.ORDER) return false;
    const k = Point.Fn.create(bytesToBigIntLE(sha512(concat(rBytes, publicKey, message))));
    return Point.BASE.multiplyUnsafe(S).equals(R.add(A.multiplyUnsafe(k)));
  } catch {
    return false;
  }
}
