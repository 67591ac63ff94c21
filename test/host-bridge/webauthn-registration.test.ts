// The host-side passkey enrolment reader: a "none" registration built here is read back to the
// credential id and COSE key; each thing it checks is refused with ApplianceError('bad_request').
// (test/e2e/webauthn-browser.test.ts reads Chromium's real registrations.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical, type CborValue } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { base64urlEncode } from '../../firmware-policy/approvals/webauthn.js';
import { readRegistration, type RegistrationExpectations } from '../../host-bridge/webauthn-registration.js';

const enc = new TextEncoder();
const ORIGIN = 'https://approve.example.com';
const PUB = p256.getPublicKey(new Uint8Array(32).fill(9), false);
const COSE = encodeCanonical(
  new Map<CborValue, CborValue>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, PUB.slice(1, 33)],
    [-3, PUB.slice(33)],
  ]),
);
const CRED_ID = new Uint8Array(20).fill(0xab);
const expect: RegistrationExpectations = { rpId: 'approve.example.com', origins: [ORIGIN], challenge: sha256(enc.encode('enrol')), requireUserVerification: true };

interface Build {
  flags?: number;
  rpId?: string;
  idLength?: number;
  key?: Uint8Array;
  fmt?: string;
  attStmt?: CborValue;
  clientData?: Record<string, unknown>;
  extra?: boolean;
}

function registration(b: Build = {}) {
  const key = b.key ?? COSE;
  const authData = new Uint8Array(55 + CRED_ID.length + key.length);
  authData.set(sha256(enc.encode(b.rpId ?? expect.rpId)), 0);
  authData[32] = b.flags ?? 0x45;
  new DataView(authData.buffer).setUint32(33, 3);
  new DataView(authData.buffer).setUint16(53, b.idLength ?? CRED_ID.length);
  authData.set(CRED_ID, 55);
  authData.set(key, 55 + CRED_ID.length);
  const att: Record<string, CborValue> = { fmt: b.fmt ?? 'none', attStmt: b.attStmt ?? {}, authData };
  if (b.extra) att.x = 1;
  const clientData = { type: 'webauthn.create', challenge: base64urlEncode(expect.challenge), origin: ORIGIN, crossOrigin: false, ...b.clientData };
  return { attestationObject: encodeCanonical(att), clientDataJSON: enc.encode(JSON.stringify(clientData)) };
}

const refused = (b: Build, pattern: RegExp, ex: RegistrationExpectations = expect) =>
  assert.throws(
    () => readRegistration(registration(b), ex),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request' && pattern.test(e.message),
  );

test('a "none" registration gives the credential id, the COSE key and the counter', () => {
  const c = readRegistration(registration(), expect);
  assert.deepEqual(c, { credentialId: CRED_ID, publicKey: COSE, rpId: expect.rpId, signCount: 3, flags: 0x45 });
});

test('client data: type, challenge, origin, crossOrigin', () => {
  refused({ clientData: { type: 'webauthn.get' } }, /webauthn\.create/);
  refused({ clientData: { challenge: base64urlEncode(sha256(enc.encode('other'))) } }, /challenge/);
  refused({ clientData: { origin: 'https://evil.example' } }, /origin/);
  refused({ clientData: { crossOrigin: true } }, /cross-origin/);
});

test('attestation object: only "none", empty attStmt, exactly three members', () => {
  refused({ fmt: 'packed' }, /none/);
  refused({ attStmt: { alg: -7 } }, /attStmt/);
  refused({ extra: true }, /exactly/);
});

test('authenticator data: RP ID, UP, UV when required, AT, no extensions, credential id length, key', () => {
  refused({ rpId: 'example.com' }, /rpIdHash/);
  refused({ flags: 0x44 }, /not present/);
  refused({ flags: 0x41 }, /not verified/);
  assert.equal(readRegistration(registration({ flags: 0x41 }), { ...expect, requireUserVerification: false }).flags, 0x41);
  refused({ flags: 0x05 }, /attested/);
  refused({ flags: 0xc5 }, /extensions/);
  refused({ idLength: 0 }, /credential id/);
  refused({ idLength: 4000 }, /credential id/);
  refused({ idLength: CRED_ID.length + 1 }, /COSE_Key/);
  refused(
    {
      key: encodeCanonical(
        new Map<CborValue, CborValue>([
          [1, 1],
          [3, -8],
          [-1, 6],
          [-2, new Uint8Array(32)],
        ]),
      ),
    },
    /COSE_Key/,
  );
});
