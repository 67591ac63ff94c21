// Approver public key validation: accepted keys come back in one canonical form; anything else is
// ApplianceError('bad_request').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { readVectorJson } from '../../helpers/vectors.js';
import { parseApproverPublicKey } from '../../../firmware-policy/approvals/keys.js';
import type { ApprovalAlg } from '../../../firmware-policy/approvals/verify-signature.js';

function assertBadRequest(alg: ApprovalAlg, bytes: Uint8Array, why = ''): void {
  assert.throws(
    () => parseApproverPublicKey(alg, bytes),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
    `${alg} ${bytesToHex(bytes)} ${why}`,
  );
}

const P256_SK = new Uint8Array(32).fill(5);

test('ES256: compressed and uncompressed forms of one key parse to the same 65 bytes', () => {
  const c = p256.getPublicKey(P256_SK, true);
  const u = p256.getPublicKey(P256_SK, false);
  assert.equal(c.length, 33);
  const fromC = parseApproverPublicKey('ES256', c);
  const fromU = parseApproverPublicKey('ES256', u);
  assert.equal(fromU.length, 65);
  assert.deepEqual(fromC, u);
  assert.deepEqual(fromU, u);
  assert.notEqual(fromU, u, 'returns a copy, not the caller buffer');
});

test('ES256: wrong lengths, wrong prefixes, off-curve points and infinity are bad_request', () => {
  const u = p256.getPublicKey(P256_SK, false);
  const c = p256.getPublicKey(P256_SK, true);
  assertBadRequest('ES256', new Uint8Array(0), 'empty');
  assertBadRequest('ES256', Uint8Array.of(0), 'infinity');
  assertBadRequest('ES256', u.subarray(0, 64), 'short');
  assertBadRequest('ES256', new Uint8Array([...u, 0]), 'long');
  assertBadRequest('ES256', u.subarray(1), 'raw x||y without prefix');
  const hybrid = Uint8Array.from(u);
  hybrid[0] = (u[64]! & 1) === 1 ? 0x07 : 0x06;
  assertBadRequest('ES256', hybrid, 'X9.62 hybrid form');
  const offCurve = Uint8Array.from(u);
  offCurve[64]! ^= 1;
  assertBadRequest('ES256', offCurve, 'y changed');
  const badPrefix = Uint8Array.from(c);
  badPrefix[0] = 0x04;
  assertBadRequest('ES256', badPrefix, '33 bytes with 04');
  // x = p (not a field element) in compressed form.
  const xIsP = hexToBytes('02ffffffff00000001000000000000000000000000ffffffffffffffffffffffff');
  assertBadRequest('ES256', xIsP, 'x = p');
  assertBadRequest('ES256', new Uint8Array(65), 'all zero');
});

test('ES256: the Wycheproof group keys all parse', () => {
  const data = readVectorJson<{ testGroups: { publicKey: { uncompressed: string } }[] }>('wycheproof', 'ecdsa_secp256r1_sha256_test.json');
  for (const g of data.testGroups) {
    const key = hexToBytes(g.publicKey.uncompressed);
    assert.deepEqual(parseApproverPublicKey('ES256', key), key);
  }
});

test('EdDSA: a real key parses to its own 32 bytes', () => {
  const pk = ed25519.getPublicKey(new Uint8Array(32).fill(3));
  const parsed = parseApproverPublicKey('EdDSA', pk);
  assert.deepEqual(parsed, pk);
  assert.notEqual(parsed, pk);
});

test('EdDSA: wrong length, non-canonical, small-order and mixed-order points are bad_request', () => {
  const pk = ed25519.getPublicKey(new Uint8Array(32).fill(3));
  assertBadRequest('EdDSA', pk.subarray(0, 31), 'short');
  assertBadRequest('EdDSA', new Uint8Array([...pk, 0]), 'long');
  assertBadRequest('EdDSA', p256.getPublicKey(P256_SK, true), 'P-256 key');
  // Identity (y = 1) and the order-2 point (y = -1): small order.
  assertBadRequest('EdDSA', hexToBytes('0100000000000000000000000000000000000000000000000000000000000000'), 'identity');
  assertBadRequest('EdDSA', hexToBytes('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), 'order 2');
  // An order-8 point.
  const t8 = hexToBytes('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
  assertBadRequest('EdDSA', t8, 'order 8');
  // y = p + 1 (non-canonical encoding of the identity).
  assertBadRequest('EdDSA', hexToBytes('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), 'y >= p');
  // "-0": x = 0 with the sign bit set.
  assertBadRequest('EdDSA', hexToBytes('0100000000000000000000000000000000000000000000000000000000000080'), '-0');
  // Mixed order: a good key plus a torsion point.
  const mixed = ed25519.Point.fromBytes(pk).add(ed25519.Point.fromBytes(t8)).toBytes();
  assertBadRequest('EdDSA', mixed, 'mixed order');
});

test('unknown algorithm is bad_request', () => {
  assertBadRequest('RS256' as ApprovalAlg, new Uint8Array(32));
});

test('property: random bytes either parse to a valid key or throw bad_request, nothing else', () => {
  fc.assert(
    fc.property(fc.constantFrom<ApprovalAlg>('ES256', 'EdDSA'), fc.uint8Array({ maxLength: 70 }), (alg, bytes) => {
      let out: Uint8Array;
      try {
        out = parseApproverPublicKey(alg, bytes);
      } catch (e) {
        assert.ok(e instanceof ApplianceError && e.code === 'bad_request', String(e));
        return;
      }
      if (alg === 'ES256') {
        assert.equal(out.length, 65);
        p256.Point.fromBytes(out).assertValidity();
      } else {
        assert.equal(out.length, 32);
        assert.ok(ed25519.Point.fromBytes(out, false).isTorsionFree());
      }
    }),
    { numRuns: 500 },
  );
});

test('property: an ES256 compressed key that parses round-trips to the same point', () => {
  fc.assert(
    fc.property(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 }), (prefix, x) => {
      const c = new Uint8Array([prefix, ...x]);
      let out: Uint8Array | undefined;
      try {
        out = parseApproverPublicKey('ES256', c);
      } catch (e) {
        assert.ok(e instanceof ApplianceError && e.code === 'bad_request');
      }
      if (out !== undefined) {
        // Round trip: compressing the canonical form gives back the input.
        assert.deepEqual(p256.Point.fromBytes(out).toBytes(true), c);
      }
    }),
    { numRuns: 200 },
  );
});
