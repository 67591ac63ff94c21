// Verifies one approver's signature over an approval statement (DESIGN.md "Wire protocol":
// approvers sign a canonical approval statement). Pure: no I/O, no clock, no randomness.
// ES256 approvals travel DER-encoded; EdDSA is Ed25519. The curve arithmetic and encoding rules
// live in protocol/signature-verify.ts, shared with the COSE_Sign1 verifier; this file adds the
// approval algorithm names and a memo of results.
//
// A malformed key or signature is not an error here: it is simply not a valid approval, so the
// function returns false instead of throwing.
//
// The curve arithmetic can be handed in (useApprovalVerifiers): the appliance gives functions on
// OpenSSL that accept exactly what these pure ones accept (appliance/native-verify.ts), so this module
// keeps no Node import and the evaluator stays pure.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { verifyEd25519, verifyP256 } from '../../protocol/signature-verify.js';

export type ApprovalAlg = 'ES256' | 'EdDSA';

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** The signature checks behind an approval: each answers true or false, never throws, and depends only on its inputs. */
export interface ApprovalVerifiers {
  /** ES256 over SHA-256 of the message, the signature in strict DER; the key in SEC 1 form. */
  es256Der(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Ed25519, RFC 8032 strict (as protocol/signature-verify.ts verifyEd25519). */
  ed25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** The pure verifiers (@noble), used unless others are handed in. */
export const PURE_APPROVAL_VERIFIERS: ApprovalVerifiers = { es256Der: (k, m, s) => verifyP256(k, m, s, 'der'), ed25519: verifyEd25519 };

let verifiers: ApprovalVerifiers = PURE_APPROVAL_VERIFIERS;

/**
 * Hands in the signature checks every later approval goes through (the appliance's, on OpenSSL, at
 * boot). They must accept exactly what the pure ones accept: the results are memoised below and an
 * offline replay may run the pure ones.
 */
export function useApprovalVerifiers(v: ApprovalVerifiers): void {
  verifiers = v;
}

/**
 * Results of verifyApprovalSignature, by SHA-256 of (alg, key, message, signature). A pending
 * request's approvals are re-checked at every evaluation; verifying each one once is enough, since
 * the function is deterministic. Bounded: cleared when full.
 */
const verified = new Map<string, boolean>();
const VERIFIED_MAX = 8192;

function memoKey(alg: string, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): string {
  const h = sha256.create();
  for (const part of [new TextEncoder().encode(alg), publicKey, message, signature]) {
    h.update(new Uint8Array([part.length >>> 24, (part.length >>> 16) & 0xff, (part.length >>> 8) & 0xff, part.length & 0xff]));
    h.update(part);
  }
  return bytesToHex(h.digest());
}

/** Dispatch used by the policy: ES256 signatures travel DER-encoded. */
export function verifyApprovalSignature(alg: ApprovalAlg, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!isBytes(publicKey) || !isBytes(message) || !isBytes(signature)) return false;
  const key = memoKey(String(alg), publicKey, message, signature);
  const hit = verified.get(key);
  if (hit !== undefined) return hit;
  let ok: boolean;
  switch (alg) {
    case 'ES256':
      ok = verifiers.es256Der(publicKey, message, signature);
      break;
    case 'EdDSA':
      ok = verifiers.ed25519(publicKey, message, signature);
      break;
    default:
      ok = false;
  }
  if (verified.size >= VERIFIED_MAX) verified.clear();
  verified.set(key, ok);
  return ok;
}
