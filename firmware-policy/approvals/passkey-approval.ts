// A passkey (WebAuthn) approval as the tally checks it: the approval's `signature` field carries the
// assertion as the canonical CBOR map { authenticatorData, clientDataJSON, signature }, and the
// assertion's challenge must be SHA-256 of the approval statement the approver approves. Pure: no
// I/O, no clock, no randomness; the stored signature counter comes from the caller.
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import type { Principal } from '../policy-document.js';
import { verifyWebAuthnAssertion, type WebAuthnAssertion, type WebAuthnResult } from './webauthn.js';

/** The assertion fields of an approval's signature bytes, or null when they are not exactly that map. */
export function decodePasskeyAssertion(signature: Uint8Array): Omit<WebAuthnAssertion, 'credentialId'> | null {
  let v;
  try {
    v = decodeCanonical(signature);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Map) return null;
  const m = v as CborMap;
  const keys = Object.keys(m);
  if (keys.length !== 3) return null;
  const { authenticatorData, clientDataJSON, signature: sig } = m;
  if (!(authenticatorData instanceof Uint8Array) || !(clientDataJSON instanceof Uint8Array) || !(sig instanceof Uint8Array)) return null;
  return { authenticatorData, clientDataJSON, signature: sig };
}

/**
 * Verifies a passkey approval by `who` (a WebAuthn principal) over `statement`, given the counter
 * stored for its credential. The assertion names no credential id of its own: the policy's is used,
 * and the signature over the authenticator data proves the credential's key made it.
 */
export function verifyPasskeyApproval(who: Principal, statement: Uint8Array, signature: Uint8Array, storedCounter: number): WebAuthnResult {
  const assertion = decodePasskeyAssertion(signature);
  if (assertion === null) return { ok: false, reason: 'signature_malformed' };
  const credentialId = who.credentialId ?? new Uint8Array(0);
  return verifyWebAuthnAssertion({ credentialId, publicKey: who.publicKey, rpId: who.rpId ?? '', origins: who.origins ?? [] }, { credentialId, ...assertion }, sha256(statement), storedCounter);
}
