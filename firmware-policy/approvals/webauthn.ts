// Verifies one WebAuthn passkey assertion as an approval (W3C Web Authentication Level 3 §7.2
// "Verifying an Authentication Assertion", steps that apply to a relying party that sets its own
// challenge and knows the credential). Pure: no I/O, no clock, no randomness, no node:* imports.
//
// The caller passes the credential as the policy stores it (id, ES256 key, rpId, allowed origins),
// the expected challenge (SHA-256 of the canonical approval statement: the statement is what the
// approver approves, the challenge binds the assertion to it) and the signature counter stored for
// the credential. A refusal is a returned value with one reason from a closed set, never a throw.
//
// Counter rule (§6.1.1): when the stored or the new signCount is non-zero, the new one must be
// strictly greater; otherwise the authenticator may be a clone, or the assertion a replay. A
// credential whose counter stays 0 (many synced passkeys) is not protected by the counter at all:
// the caller must still refuse an approval it has already counted for the same statement.
//
// The caller's own mistakes (a stored counter out of range, a challenge that is not bytes) are
// faults, thrown as ApplianceError('internal'); everything that comes from the approver's side is
// a refusal value.
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '../../protocol/bytes.js';
import { ApplianceError } from '../../protocol/errors.js';
import { parseCoseEs256Key, p256PointFromCoordinates, type Es256Coordinates } from './cose-key.js';

/** Why an assertion is refused; each check has its own reason. */
export type WebAuthnRefusal =
  | 'credential_mismatch' // the assertion names another credential
  | 'public_key_invalid' // the stored key is not an ES256 P-256 key
  | 'client_data_too_large' // clientDataJSON over MAX_CLIENT_DATA_BYTES
  | 'client_data_malformed' // not UTF-8, not JSON, not an object, duplicate or mistyped members
  | 'client_data_wrong_type' // type is not "webauthn.get"
  | 'challenge_mismatch' // challenge is not base64url(expected challenge), unpadded
  | 'origin_not_allowed' // origin is not exactly one of the credential's origins
  | 'cross_origin' // crossOrigin is true (an iframe of another origin asked)
  | 'authenticator_data_malformed' // under 37 bytes, or a length the flags do not explain
  | 'rp_id_mismatch' // rpIdHash is not SHA-256(rpId)
  | 'user_not_present' // flag UP (bit 0) clear
  | 'user_not_verified' // flag UV (bit 2) clear
  | 'signature_malformed' // not a strict DER ECDSA signature
  | 'signature_invalid' // does not verify over authenticatorData || SHA-256(clientDataJSON)
  | 'counter_replayed'; // signCount did not increase

export const WEBAUTHN_REFUSALS: readonly WebAuthnRefusal[] = [
  'credential_mismatch',
  'public_key_invalid',
  'client_data_too_large',
  'client_data_malformed',
  'client_data_wrong_type',
  'challenge_mismatch',
  'origin_not_allowed',
  'cross_origin',
  'authenticator_data_malformed',
  'rp_id_mismatch',
  'user_not_present',
  'user_not_verified',
  'signature_malformed',
  'signature_invalid',
  'counter_replayed',
];

export interface WebAuthnCredential {
  credentialId: Uint8Array;
  /** COSE_Key bytes (ES256 EC2 map, deterministic CBOR) or its coordinates. */
  publicKey: Uint8Array | Es256Coordinates;
  rpId: string;
  /** Exact origins accepted, e.g. "https://approve.example.com" (scheme, host, port as the browser writes them). */
  origins: readonly string[];
}

export interface WebAuthnAssertion {
  credentialId: Uint8Array;
  authenticatorData: Uint8Array;
  clientDataJSON: Uint8Array;
  /** ASN.1 DER ECDSA signature, as navigator.credentials.get() returns it. */
  signature: Uint8Array;
}

export type WebAuthnResult = { ok: true; newCounter: number } | { ok: false; reason: WebAuthnRefusal };

/** Browsers write a few hundred bytes; anything near this bound is not a browser's clientDataJSON. */
export const MAX_CLIENT_DATA_BYTES = 2048;
/** rpIdHash (32) + flags (1) + signCount (4). */
const AUTH_DATA_MIN = 37;
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;
const MAX_COUNTER = 0xffffffff;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** RFC 4648 §5 base64url without padding (the form WebAuthn §5.8.1 puts in clientDataJSON). */
export function base64urlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[n >>> 18]! + B64URL[(n >>> 12) & 63]! + B64URL[(n >>> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL[n >>> 18]! + B64URL[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[n >>> 18]! + B64URL[(n >>> 12) & 63]! + B64URL[(n >>> 6) & 63]!;
  }
  return out;
}

const refuse = (reason: WebAuthnRefusal): WebAuthnResult => ({ ok: false, reason });

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/**
 * The names of the top-level members of a JSON object text that JSON.parse accepted, in order
 * (escapes decoded), so duplicates can be refused: JSON.parse keeps the last, a reader of the
 * bytes may see the first.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth !== 1) continue;
      let j = i + 1;
      while (text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || text[j] === '\r') j++;
      if (text[j] === ':') keys.push(JSON.parse(text.slice(start, i + 1)) as string);
    }
  }
  return keys;
}

interface ClientData {
  type: string;
  challenge: string;
  origin: string;
  crossOrigin: boolean;
}

function parseClientData(bytes: Uint8Array): ClientData | WebAuthnRefusal {
  if (bytes.length > MAX_CLIENT_DATA_BYTES) return 'client_data_too_large';
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    return 'client_data_malformed';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'client_data_malformed';
  const keys = topLevelKeys(text);
  if (new Set(keys).size !== keys.length) return 'client_data_malformed';
  const o = value as Record<string, unknown>;
  if (typeof o.type !== 'string' || typeof o.challenge !== 'string' || typeof o.origin !== 'string') return 'client_data_malformed';
  if (o.crossOrigin !== undefined && typeof o.crossOrigin !== 'boolean') return 'client_data_malformed';
  return { type: o.type, challenge: o.challenge, origin: o.origin, crossOrigin: o.crossOrigin === true };
}

function publicKeyPoint(key: Uint8Array | Es256Coordinates): Uint8Array | null {
  if (isBytes(key)) {
    const coords = parseCoseEs256Key(key);
    return coords === null ? null : p256PointFromCoordinates(coords);
  }
  return p256PointFromCoordinates(key);
}

function readCounter(authData: Uint8Array): number {
  return ((authData[33]! << 24) | (authData[34]! << 16) | (authData[35]! << 8) | authData[36]!) >>> 0;
}

/**
 * Verifies `assertion` for `credential` against `expectedChallenge` and the stored signature
 * counter. On success returns the counter to store next.
 */
export function verifyWebAuthnAssertion(credential: WebAuthnCredential, assertion: WebAuthnAssertion, expectedChallenge: Uint8Array, storedCounter: number): WebAuthnResult {
  if (!Number.isSafeInteger(storedCounter) || storedCounter < 0 || storedCounter > MAX_COUNTER) {
    throw new ApplianceError('internal', '"storedCounter" expected an integer in [0, 2^32-1]', { storedCounter: String(storedCounter) });
  }
  if (!isBytes(expectedChallenge)) throw new ApplianceError('internal', '"expectedChallenge" expected bytes');
  const { credentialId, authenticatorData: authData, clientDataJSON, signature } = assertion;
  if (!isBytes(credentialId) || !isBytes(credential.credentialId) || !equalBytes(credentialId, credential.credentialId)) {
    return refuse('credential_mismatch');
  }

  // Client data (§7.2 steps 10-14).
  if (!isBytes(clientDataJSON)) return refuse('client_data_malformed');
  const clientData = parseClientData(clientDataJSON);
  if (typeof clientData === 'string') return refuse(clientData);
  if (clientData.type !== 'webauthn.get') return refuse('client_data_wrong_type');
  if (clientData.challenge !== base64urlEncode(expectedChallenge)) return refuse('challenge_mismatch');
  if (!credential.origins.includes(clientData.origin)) return refuse('origin_not_allowed');
  if (clientData.crossOrigin) return refuse('cross_origin');

  // Authenticator data (§6.1, §7.2 steps 15-17). An assertion carries no attested credential
  // data; extensions follow the 37 bytes only when ED is set.
  if (!isBytes(authData) || authData.length < AUTH_DATA_MIN) return refuse('authenticator_data_malformed');
  const flags = authData[32]!;
  if ((flags & FLAG_AT) !== 0) return refuse('authenticator_data_malformed');
  if ((flags & FLAG_ED) === 0 ? authData.length !== AUTH_DATA_MIN : authData.length === AUTH_DATA_MIN) {
    return refuse('authenticator_data_malformed');
  }
  if (!equalBytes(authData.subarray(0, 32), sha256(new TextEncoder().encode(credential.rpId)))) return refuse('rp_id_mismatch');
  if ((flags & FLAG_UP) === 0) return refuse('user_not_present');
  if ((flags & FLAG_UV) === 0) return refuse('user_not_verified');

  // Signature (§7.2 steps 19-20): ES256 over authenticatorData || SHA-256(clientDataJSON).
  // High-s is accepted: WebAuthn has no low-s rule and authenticators do not normalise s.
  const point = publicKeyPoint(credential.publicKey);
  if (point === null) return refuse('public_key_invalid');
  let compact: Uint8Array;
  try {
    if (!isBytes(signature)) throw new TypeError('signature');
    compact = p256.Signature.fromBytes(signature, 'der').toBytes('compact'); // strict X.690 DER
  } catch {
    return refuse('signature_malformed');
  }
  const signed = new Uint8Array(authData.length + 32);
  signed.set(authData, 0);
  signed.set(sha256(clientDataJSON), authData.length);
  let valid: boolean;
  try {
    valid = p256.verify(compact, signed, point, { prehash: true, lowS: false, format: 'compact' }) === true;
  } catch {
    valid = false;
  }
  if (!valid) return refuse('signature_invalid');

  // Signature counter (§7.2 step 21), checked only once the data is authentic.
  const newCounter = readCounter(authData);
  if ((storedCounter !== 0 || newCounter !== 0) && newCounter <= storedCounter) return refuse('counter_replayed');
  return { ok: true, newCounter };
}
