// The pure WebAuthn assertion verifier: assertions built here with @noble/curves (an authenticator
// in a few lines), one accepted case per supported form and every refusal reason at least once. The
// last test checks that every reason in the closed set was produced, so a new reason cannot be
// added without a test.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical } from '../../../protocol/cbor.js';
import { equalBytes } from '../../../protocol/bytes.js';
import { ApplianceError } from '../../../protocol/errors.js';
import {
  base64urlEncode,
  verifyWebAuthnAssertion,
  WEBAUTHN_REFUSALS,
  MAX_CLIENT_DATA_BYTES,
  type WebAuthnAssertion,
  type WebAuthnCredential,
  type WebAuthnRefusal,
  type WebAuthnResult,
} from '../../../firmware-policy/approvals/webauthn.js';
import { parseCoseEs256Key } from '../../../firmware-policy/approvals/cose-key.js';

const enc = new TextEncoder();
const RP_ID = 'approve.example.com';
const ORIGIN = 'https://approve.example.com';
const SK = new Uint8Array(32).fill(7);
const PUB = p256.getPublicKey(SK, false);
const X = PUB.slice(1, 33);
const Y = PUB.slice(33, 65);
const CRED_ID = new Uint8Array(16).map((_, i) => i + 1);
const CHALLENGE = sha256(enc.encode('approve request 42'));

function coseKey(entries: [number, number | Uint8Array][]): Uint8Array {
  return encodeCanonical(new Map(entries));
}
const COSE = coseKey([
  [1, 2],
  [3, -7],
  [-1, 1],
  [-2, X],
  [-3, Y],
]);

const credential: WebAuthnCredential = { credentialId: CRED_ID, publicKey: COSE, rpId: RP_ID, origins: [ORIGIN] };

interface Build {
  clientData?: Record<string, unknown>;
  clientDataText?: string;
  clientDataBytes?: Uint8Array;
  rpId?: string;
  flags?: number;
  counter?: number;
  tail?: Uint8Array;
  sk?: Uint8Array;
}

function authData(b: Build): Uint8Array {
  const out = new Uint8Array(37 + (b.tail?.length ?? 0));
  out.set(sha256(enc.encode(b.rpId ?? RP_ID)), 0);
  out[32] = b.flags ?? 0x05;
  new DataView(out.buffer).setUint32(33, b.counter ?? 7);
  if (b.tail) out.set(b.tail, 37);
  return out;
}

/** What an authenticator and a browser would return for `b`. */
function assertion(b: Build = {}): WebAuthnAssertion {
  const clientDataJSON =
    b.clientDataBytes ?? enc.encode(b.clientDataText ?? JSON.stringify({ type: 'webauthn.get', challenge: base64urlEncode(CHALLENGE), origin: ORIGIN, crossOrigin: false, ...b.clientData }));
  const ad = authData(b);
  const signed = new Uint8Array([...ad, ...sha256(clientDataJSON)]);
  const signature = p256.sign(signed, b.sk ?? SK, { prehash: true, format: 'der' });
  return { credentialId: CRED_ID, authenticatorData: ad, clientDataJSON, signature };
}

const seen = new Set<WebAuthnRefusal>();
function expectRefused(r: WebAuthnResult, reason: WebAuthnRefusal, why = ''): void {
  assert.deepEqual(r, { ok: false, reason }, why);
  seen.add(reason);
}
const verify = (a: WebAuthnAssertion, stored = 0, cred = credential, challenge = CHALLENGE) => verifyWebAuthnAssertion(cred, a, challenge, stored);

/** DER SEQUENCE { INTEGER r, INTEGER s } with minimal integers. */
function der(r: bigint, s: bigint): Uint8Array {
  const int = (n: bigint) => {
    let hex = n.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    let bytes = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    if (bytes[0]! & 0x80) bytes = new Uint8Array([0, ...bytes]);
    return [0x02, bytes.length, ...bytes];
  };
  const body = [...int(r), ...int(s)];
  return new Uint8Array([0x30, body.length, ...body]);
}

test('a valid assertion is accepted and returns the new counter', () => {
  assert.deepEqual(verify(assertion({ counter: 7 }), 6), { ok: true, newCounter: 7 });
  assert.deepEqual(verify(assertion({ counter: 0xffffffff }), 0xfffffffe), { ok: true, newCounter: 0xffffffff });
});

test('the key may be stored as COSE bytes or as its coordinates', () => {
  assert.deepEqual(parseCoseEs256Key(COSE), { x: X, y: Y });
  assert.deepEqual(verify(assertion(), 0, { ...credential, publicKey: { x: X, y: Y } }), { ok: true, newCounter: 7 });
});

test('high-s and low-s signatures are both accepted (WebAuthn has no low-s rule)', () => {
  const a = assertion();
  const sig = p256.Signature.fromBytes(a.signature, 'der');
  const n = p256.Point.Fn.ORDER;
  const flipped = der(sig.r, n - sig.s);
  assert.notDeepEqual(flipped, a.signature);
  assert.equal(verify(a).ok, true);
  assert.equal(verify({ ...a, signature: flipped }).ok, true);
});

test('a counter that stays 0 on both sides is accepted (authenticators without a counter)', () => {
  assert.deepEqual(verify(assertion({ counter: 0 }), 0), { ok: true, newCounter: 0 });
});

test('credential_mismatch: the assertion names another credential', () => {
  expectRefused(verify({ ...assertion(), credentialId: new Uint8Array(16) }), 'credential_mismatch');
  expectRefused(verify({ ...assertion(), credentialId: CRED_ID.subarray(0, 15) }), 'credential_mismatch');
});

test('public_key_invalid: anything but the five-entry ES256 EC2 map, or a point off the curve', () => {
  const a = assertion();
  const bad: [string, Uint8Array | { x: Uint8Array; y: Uint8Array }][] = [
    [
      'EdDSA alg',
      coseKey([
        [1, 2],
        [3, -8],
        [-1, 1],
        [-2, X],
        [-3, Y],
      ]),
    ],
    [
      'OKP kty',
      coseKey([
        [1, 1],
        [3, -7],
        [-1, 1],
        [-2, X],
        [-3, Y],
      ]),
    ],
    [
      'P-384 crv',
      coseKey([
        [1, 2],
        [3, -7],
        [-1, 2],
        [-2, X],
        [-3, Y],
      ]),
    ],
    [
      'extra entry',
      coseKey([
        [1, 2],
        [2, new Uint8Array(4)],
        [3, -7],
        [-1, 1],
        [-2, X],
        [-3, Y],
      ]),
    ],
    [
      'missing y',
      coseKey([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, X],
      ]),
    ],
    [
      'short x',
      coseKey([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, X.subarray(1)],
        [-3, Y],
      ]),
    ],
    [
      'y as a boolean y-sign (compressed form)',
      coseKey([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, X],
        [-3, 1],
      ]),
    ],
    [
      'off the curve',
      coseKey([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, X],
        [-3, X],
      ]),
    ],
    // The same map with kty and alg swapped in order: well-formed CBOR, not deterministic.
    ['unsorted keys', new Uint8Array([0xa5, 0x03, 0x26, 0x01, 0x02, ...COSE.subarray(5)])],
    ['trailing byte', new Uint8Array([...COSE, 0])],
    ['empty', new Uint8Array(0)],
    ['coordinates off the curve', { x: X, y: X }],
    ['coordinates too short', { x: X.subarray(1), y: Y }],
  ];
  assert.deepEqual(COSE.subarray(0, 5), new Uint8Array([0xa5, 0x01, 0x02, 0x03, 0x26]));
  for (const [why, publicKey] of bad) expectRefused(verify(a, 0, { ...credential, publicKey }), 'public_key_invalid', why);
});

test('client_data_too_large: over the bound, refused before parsing', () => {
  const pad = 'x'.repeat(MAX_CLIENT_DATA_BYTES);
  expectRefused(verify(assertion({ clientData: { pad } })), 'client_data_too_large');
});

test('client_data_malformed: not UTF-8, not JSON, not an object, duplicate or mistyped members', () => {
  const c = base64urlEncode(CHALLENGE);
  const cases: [string, Build][] = [
    ['invalid UTF-8', { clientDataBytes: new Uint8Array([0x7b, 0xff, 0x7d]) }],
    ['not JSON', { clientDataText: '{"type":"webauthn.get",' }],
    ['array', { clientDataText: '["webauthn.get"]' }],
    ['null', { clientDataText: 'null' }],
    ['string', { clientDataText: '"webauthn.get"' }],
    ['duplicate origin', { clientDataText: `{"type":"webauthn.get","challenge":"${c}","origin":"https://evil.example","origin":"${ORIGIN}"}` }],
    ['duplicate via escape', { clientDataText: `{"type":"webauthn.get","challenge":"${c}","origin":"${ORIGIN}","orig\\u0069n":"${ORIGIN}"}` }],
    ['challenge not a string', { clientData: { challenge: 5 } }],
    ['origin missing', { clientData: { origin: undefined } }],
    ['crossOrigin as a string', { clientData: { crossOrigin: 'false' } }],
  ];
  for (const [why, b] of cases) expectRefused(verify(assertion(b)), 'client_data_malformed', why);
  // Nested duplicate names are not top-level members: accepted.
  const nested = `{"type":"webauthn.get","challenge":"${c}","origin":"${ORIGIN}","x":{"origin":1,"y":["origin"]},"crossOrigin":false}`;
  assert.equal(verify(assertion({ clientDataText: nested })).ok, true);
});

test('client_data_wrong_type: a registration response is not an assertion', () => {
  expectRefused(verify(assertion({ clientData: { type: 'webauthn.create' } })), 'client_data_wrong_type');
});

test('challenge_mismatch: another challenge, padding, standard base64', () => {
  // A challenge whose base64 has '+' or '/' and needs padding, so each spelling differs.
  let ch = sha256(enc.encode('0'));
  for (let i = 1; /[+/]/.test(Buffer.from(ch).toString('base64')) === false; i++) ch = sha256(enc.encode(String(i)));
  const std = Buffer.from(ch).toString('base64');
  const url = Buffer.from(ch).toString('base64url');
  assert.equal(base64urlEncode(ch), url);
  assert.equal(verify(assertion({ clientData: { challenge: url } }), 0, credential, ch).ok, true);
  for (const challenge of [url + '=', std, std.replace(/=+$/, ''), base64urlEncode(CHALLENGE)]) {
    expectRefused(verify(assertion({ clientData: { challenge } }), 0, credential, ch), 'challenge_mismatch', challenge);
  }
  expectRefused(verify(assertion(), 0, credential, sha256(enc.encode('approve request 43'))), 'challenge_mismatch');
});

test('origin_not_allowed: exact match only', () => {
  for (const origin of [ORIGIN + '/', ORIGIN + ':443', 'http://approve.example.com', 'https://approve.example.com.evil', 'https://APPROVE.example.com']) {
    expectRefused(verify(assertion({ clientData: { origin } })), 'origin_not_allowed', origin);
  }
  const two = { ...credential, origins: ['https://other.example', ORIGIN] };
  assert.equal(verify(assertion(), 0, two).ok, true);
});

test('cross_origin: crossOrigin true is refused, absent is accepted', () => {
  expectRefused(verify(assertion({ clientData: { crossOrigin: true } })), 'cross_origin');
  assert.equal(verify(assertion({ clientData: { crossOrigin: undefined } })).ok, true);
});

test('authenticator_data_malformed: short, attested data in an assertion, length the flags do not explain', () => {
  const a = assertion();
  expectRefused(verify({ ...a, authenticatorData: a.authenticatorData.subarray(0, 36) }), 'authenticator_data_malformed', 'short');
  expectRefused(verify(assertion({ flags: 0x45 })), 'authenticator_data_malformed', 'AT set');
  expectRefused(verify(assertion({ tail: new Uint8Array([0xa0]) })), 'authenticator_data_malformed', 'tail without ED');
  expectRefused(verify(assertion({ flags: 0x85 })), 'authenticator_data_malformed', 'ED without extensions');
  // ED with an extensions map (an empty CBOR map here) is accepted: the bytes are signed.
  assert.equal(verify(assertion({ flags: 0x85, tail: new Uint8Array([0xa0]) })).ok, true);
});

test('rp_id_mismatch: the authenticator scoped the credential to another RP ID', () => {
  expectRefused(verify(assertion({ rpId: 'example.com' })), 'rp_id_mismatch');
  expectRefused(verify(assertion(), 0, { ...credential, rpId: 'evil.example' }), 'rp_id_mismatch');
});

test('user_not_present and user_not_verified: UP and UV flags', () => {
  expectRefused(verify(assertion({ flags: 0x04 })), 'user_not_present');
  expectRefused(verify(assertion({ flags: 0x01 })), 'user_not_verified');
  // Backup flags (BE, BS) do not matter here.
  assert.equal(verify(assertion({ flags: 0x1d })).ok, true);
});

test('signature_malformed: compact form, trailing bytes, non-minimal DER, zero r', () => {
  const a = assertion();
  const sig = p256.Signature.fromBytes(a.signature, 'der');
  const cases: [string, Uint8Array][] = [
    ['P1363 compact', sig.toBytes('compact')],
    ['trailing byte', new Uint8Array([...a.signature, 0])],
    ['truncated', a.signature.subarray(0, a.signature.length - 1)],
    ['long-form length', new Uint8Array([0x30, 0x81, a.signature[1]!, ...a.signature.subarray(2)])],
    ['r = 0', der(0n, sig.s)],
    ['empty', new Uint8Array(0)],
  ];
  for (const [why, signature] of cases) expectRefused(verify({ ...a, signature }), 'signature_malformed', why);
});

test('signature_invalid: another key, or data changed after signing', () => {
  expectRefused(verify(assertion({ sk: new Uint8Array(32).fill(8) })), 'signature_invalid', 'other key');
  const a = assertion({ counter: 7 });
  const changed = Uint8Array.from(a.authenticatorData);
  changed[36] = 8; // the counter, raised by someone without the key
  expectRefused(verify({ ...a, authenticatorData: changed }, 7), 'signature_invalid', 'counter raised');
  const other = assertion({ clientData: { extra: 1 } });
  expectRefused(verify({ ...a, clientDataJSON: other.clientDataJSON }), 'signature_invalid', 'clientDataJSON swapped');
});

test('counter_replayed: equal, lower, or back to 0 once non-zero', () => {
  const a = assertion({ counter: 7 });
  const first = verify(a, 6);
  assert.deepEqual(first, { ok: true, newCounter: 7 });
  expectRefused(verify(a, first.ok ? first.newCounter : -1), 'counter_replayed', 'same assertion twice');
  expectRefused(verify(assertion({ counter: 6 }), 7), 'counter_replayed', 'lower');
  expectRefused(verify(assertion({ counter: 0 }), 3), 'counter_replayed', 'reset to 0');
});

test("the caller's own mistakes are faults, not refusals", () => {
  const a = assertion();
  for (const stored of [-1, 2 ** 32, 1.5, Number.NaN]) {
    assert.throws(
      () => verify(a, stored),
      (e: unknown) => e instanceof ApplianceError && e.code === 'internal',
      String(stored),
    );
  }
  assert.throws(() => verifyWebAuthnAssertion(credential, a, 'x' as unknown as Uint8Array, 0), ApplianceError);
});

test('base64urlEncode matches RFC 4648 §5 unpadded on any length', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 70 }), (b) => base64urlEncode(b) === Buffer.from(b).toString('base64url')));
});

test('hostile bytes anywhere give a refusal value, never a throw, and the same answer twice', () => {
  const a = assertion();
  const bytes = fc.uint8Array({ maxLength: 120 });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 }), bytes, fc.integer({ min: 0, max: 200 }), (field, junk, at) => {
      const key = (['authenticatorData', 'clientDataJSON', 'signature'] as const)[field]!;
      const mutated = Uint8Array.from(a[key]);
      if (junk.length === 0 && at < mutated.length) mutated[at] = mutated[at]! ^ 1;
      const value = junk.length === 0 ? mutated : junk;
      const m = { ...a, [key]: value };
      const r1 = verify(m);
      assert.deepEqual(verify(m), r1);
      if (!equalBytes(value, a[key])) assert.equal(r1.ok, false);
    }),
    { numRuns: 300 },
  );
});

after(() => {
  assert.deepEqual([...seen].sort(), [...WEBAUTHN_REFUSALS].sort(), 'every refusal reason is produced by some test');
});
