// Reads a passkey registration (navigator.credentials.create() with attestation "none") into the
// credential an admin proposes for the policy: credential id, ES256 COSE_Key, rpId, signCount.
// W3C Web Authentication Level 3 §6.1 (authenticator data), §6.5 (attestation object), §7.1
// (registering a new credential) and §8.7 ("none" format).
//
// This runs on the host side, at enrolment, and is a convenience: the appliance trusts none of it.
// A credential becomes an approver only through an admin-quorum policy change, and the appliance
// verifies assertions against what that policy holds (firmware-policy/approvals/webauthn.ts). With
// attestation "none" nothing proves what kind of authenticator holds the key; the admins who sign
// the change vouch for it.
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeCanonical, type CborMap } from '../protocol/cbor.js';
import { equalBytes } from '../protocol/bytes.js';
import { ApplianceError } from '../protocol/errors.js';
import { parseCoseEs256Key } from '../firmware-policy/approvals/cose-key.js';
import { base64urlEncode } from '../firmware-policy/approvals/webauthn.js';

export interface RegistrationResponse {
  /** response.attestationObject */
  attestationObject: Uint8Array;
  /** response.clientDataJSON */
  clientDataJSON: Uint8Array;
}

export interface RegistrationExpectations {
  rpId: string;
  /** origins the approver console is served from; the registration must come from one of them */
  origins: readonly string[];
  /** the challenge the console passed to credentials.create() */
  challenge: Uint8Array;
  /** refuse a credential registered without user verification (the policy requires UV) */
  requireUserVerification: boolean;
}

export interface RegisteredCredential {
  credentialId: Uint8Array;
  /** the ES256 COSE_Key exactly as the authenticator wrote it (deterministic CBOR) */
  publicKey: Uint8Array;
  rpId: string;
  signCount: number;
  flags: number;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;
/** rpIdHash 32, flags 1, signCount 4, aaguid 16, credentialIdLength 2 */
const ATTESTED_HEADER = 55;
/** WebAuthn §5.4.3: credential ids are at most 1023 bytes. */
const MAX_CREDENTIAL_ID = 1023;

const bad = (message: string) => new ApplianceError('bad_request', `passkey registration: ${message}`);

function checkClientData(bytes: Uint8Array, expect: RegistrationExpectations): void {
  let o: unknown;
  try {
    o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('clientDataJSON is not UTF-8 JSON');
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw bad('clientDataJSON is not an object');
  const c = o as Record<string, unknown>;
  if (c.type !== 'webauthn.create') throw bad('clientDataJSON type is not webauthn.create');
  if (c.challenge !== base64urlEncode(expect.challenge)) throw bad('challenge mismatch');
  if (typeof c.origin !== 'string' || !expect.origins.includes(c.origin)) throw bad('origin not allowed');
  if (c.crossOrigin === true) throw bad('cross-origin registration');
}

/** Checks a registration response against what the console asked for and returns the credential. */
export function readRegistration(response: RegistrationResponse, expect: RegistrationExpectations): RegisteredCredential {
  checkClientData(response.clientDataJSON, expect);
  let att;
  try {
    att = decodeCanonical(response.attestationObject);
  } catch (e) {
    throw new ApplianceError('bad_request', 'passkey registration: attestationObject is not deterministic CBOR', undefined, { cause: e });
  }
  if (att === null || typeof att !== 'object' || att instanceof Map || Array.isArray(att) || att instanceof Uint8Array) {
    throw bad('attestationObject is not a text-keyed map');
  }
  const { fmt, attStmt, authData } = att as CborMap;
  if (Object.keys(att).length !== 3) throw bad('attestationObject must hold exactly fmt, attStmt, authData');
  if (fmt !== 'none') throw bad('only attestation "none" is read here');
  if (attStmt === null || typeof attStmt !== 'object' || attStmt instanceof Map || Object.keys(attStmt).length !== 0) {
    throw bad('attestation "none" has an empty attStmt');
  }
  if (!(authData instanceof Uint8Array) || authData.length < ATTESTED_HEADER) throw bad('authData too short');
  if (!equalBytes(authData.subarray(0, 32), sha256(new TextEncoder().encode(expect.rpId)))) throw bad('rpIdHash mismatch');
  const flags = authData[32]!;
  if ((flags & FLAG_UP) === 0) throw bad('user not present');
  if (expect.requireUserVerification && (flags & FLAG_UV) === 0) throw bad('user not verified');
  if ((flags & FLAG_AT) === 0) throw bad('no attested credential data');
  // Extensions would follow the key with no length in between; none are requested at enrolment.
  if ((flags & FLAG_ED) !== 0) throw bad('authenticator extensions are not supported');
  const view = new DataView(authData.buffer, authData.byteOffset, authData.byteLength);
  const signCount = view.getUint32(33);
  const idLength = view.getUint16(53);
  if (idLength === 0 || idLength > MAX_CREDENTIAL_ID || authData.length < ATTESTED_HEADER + idLength) throw bad('bad credential id length');
  const credentialId = authData.slice(ATTESTED_HEADER, ATTESTED_HEADER + idLength);
  const publicKey = authData.slice(ATTESTED_HEADER + idLength);
  if (parseCoseEs256Key(publicKey) === null) throw bad('credential public key is not an ES256 COSE_Key in deterministic CBOR');
  return { credentialId, publicKey, rpId: expect.rpId, signCount, flags };
}
