// A passkey in a few lines, for tests: a P-256 key, its ES256 COSE_Key, a credential id, and
// assertions as an authenticator and a browser would return them for a WebAuthn get() whose
// challenge is SHA-256 of an approval statement (firmware-policy/approvals/passkey-approval.ts).
// Options let a test produce what a broken or hostile client would send.
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical } from '../../protocol/cbor.js';
import { base64urlEncode } from '../../firmware-policy/approvals/webauthn.js';
import type { Principal } from '../../firmware-policy/policy-document.js';

const enc = new TextEncoder();

export interface AssertOptions {
  /** The authenticator's signature counter (default: one more than the last assertion). */
  counter?: number;
  /** Authenticator flags (default UP | UV = 0x05). */
  flags?: number;
  origin?: string;
  rpId?: string;
}

export interface WebAuthnFields {
  authenticatorData: Uint8Array;
  clientDataJSON: Uint8Array;
  signature: Uint8Array;
}

export interface SoftwarePasskey {
  id: string;
  credentialId: Uint8Array;
  /** ES256 COSE_Key in deterministic CBOR. */
  coseKey: Uint8Array;
  rpId: string;
  origins: string[];
  principal: Principal;
  /** The policy JSON form (host-bridge/policy-json.ts). */
  json: { id: string; alg: 'WebAuthn'; publicKey: string; credentialId: string; rpId: string; origins: string[] };
  /** The assertion fields for `statement`. */
  assertFields(statement: Uint8Array, o?: AssertOptions): WebAuthnFields;
  /** The assertion as request.approve's `signature` carries it (canonical CBOR map). */
  assert(statement: Uint8Array, o?: AssertOptions): Uint8Array;
}

const hex = (b: Uint8Array) => '0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function softwarePasskey(id: string, seed: number, rpId = 'localhost', origins = ['http://localhost:8787']): SoftwarePasskey {
  const { secretKey } = p256.keygen(new Uint8Array(48).fill(seed));
  const pub = p256.getPublicKey(secretKey, false);
  const coseKey = encodeCanonical(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, pub.slice(1, 33)],
      [-3, pub.slice(33, 65)],
    ]),
  );
  const credentialId = sha256(enc.encode(`credential of ${id} ${seed}`)).slice(0, 16);
  let last = 0;
  const assertFields = (statement: Uint8Array, o: AssertOptions = {}): WebAuthnFields => {
    const counter = o.counter ?? last + 1;
    last = Math.max(last, counter);
    const clientDataJSON = enc.encode(JSON.stringify({ type: 'webauthn.get', challenge: base64urlEncode(sha256(statement)), origin: o.origin ?? origins[0], crossOrigin: false }));
    const authenticatorData = new Uint8Array(37);
    authenticatorData.set(sha256(enc.encode(o.rpId ?? rpId)), 0);
    authenticatorData[32] = o.flags ?? 0x05;
    new DataView(authenticatorData.buffer).setUint32(33, counter);
    const signed = new Uint8Array([...authenticatorData, ...sha256(clientDataJSON)]);
    return { authenticatorData, clientDataJSON, signature: p256.sign(signed, secretKey, { prehash: true, format: 'der' }) };
  };
  return {
    id,
    credentialId,
    coseKey,
    rpId,
    origins,
    principal: { id, alg: 'WebAuthn', publicKey: coseKey, credentialId, rpId, origins },
    json: { id, alg: 'WebAuthn', publicKey: hex(coseKey), credentialId: hex(credentialId), rpId, origins },
    assertFields,
    assert: (statement, o) => {
      const f = assertFields(statement, o);
      return encodeCanonical({ authenticatorData: f.authenticatorData, clientDataJSON: f.clientDataJSON, signature: f.signature });
    },
  };
}
