// Approver signature checks on OpenSSL (node:crypto) instead of JavaScript bigint arithmetic, handed to
// the pure evaluator (firmware-policy/approvals/verify-signature.ts useApprovalVerifiers) at boot, so
// firmware-policy itself stays free of Node imports. They accept exactly what the pure verifiers in
// protocol/signature-verify.ts accept (test/appliance/native-verify.test.ts runs the Wycheproof vectors
// through both):
// - ES256 in strict DER: OpenSSL re-encodes the parsed (r, s) and refuses any other encoding, and
//   checks r and s in [1, n-1]; high-s is valid, as in the pure verifier.
// - Ed25519: OpenSSL refuses S >= L and compares the encoding of [S]B - [k]A with R's bytes (the
//   cofactorless equation, which also refuses a non-canonical R). What it does not check about the
//   public key A (a canonical encoding, not of small order) is checked here in pure code, once per key.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { ApprovalVerifiers } from '../firmware-policy/approvals/verify-signature.js';

/** SubjectPublicKeyInfo headers (RFC 5480, RFC 8410) before the raw key bytes. */
const P256_SPKI_UNCOMPRESSED = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const P256_SPKI_COMPRESSED = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

/** Parsed keys by their bytes (approver keys are few); `null`: not a key the pure verifier accepts. */
const keys = new Map<string, KeyObject | null>();
const KEYS_MAX = 4096;

function cached(kind: string, raw: Uint8Array, make: () => KeyObject | null): KeyObject | null {
  const id = kind + Buffer.from(raw).toString('hex');
  let k = keys.get(id);
  if (k === undefined) {
    try {
      k = make();
    } catch {
      k = null;
    }
    if (keys.size >= KEYS_MAX) keys.clear();
    keys.set(id, k);
  }
  return k;
}

function p256Key(raw: Uint8Array): KeyObject | null {
  const header = raw.length === 65 && raw[0] === 0x04 ? P256_SPKI_UNCOMPRESSED : raw.length === 33 && (raw[0] === 0x02 || raw[0] === 0x03) ? P256_SPKI_COMPRESSED : undefined;
  if (!header) return null;
  return cached('p256:', raw, () => createPublicKey({ key: Buffer.concat([header, raw]), format: 'der', type: 'spki' }));
}

function ed25519Key(raw: Uint8Array): KeyObject | null {
  if (raw.length !== 32) return null;
  return cached('ed25519:', raw, () => {
    // Strict decoding (canonical y, no "-0") and no small-order key, as the pure verifier demands.
    const A = ed25519.Point.fromBytes(raw, false);
    if (A.isSmallOrder()) return null;
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI, raw]), format: 'der', type: 'spki' });
  });
}

/** ES256 over SHA-256 of `message`, the signature in strict DER. */
export function verifyP256DerNative(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (signature.length < 8 || signature.length > 72) return false;
    const key = p256Key(publicKey);
    return key !== null && verify('sha256', message, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** Ed25519 (RFC 8032), strict as protocol/signature-verify.ts verifyEd25519. */
export function verifyEd25519Native(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (signature.length !== 64) return false;
    const key = ed25519Key(publicKey);
    return key !== null && verify(null, message, key, signature);
  } catch {
    return false;
  }
}

export const NATIVE_APPROVAL_VERIFIERS: ApprovalVerifiers = { es256Der: verifyP256DerNative, ed25519: verifyEd25519Native };
