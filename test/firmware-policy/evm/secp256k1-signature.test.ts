// Issue 11 item 11: normalizeSignature releases a token's signature only when recovery from the
// final (r, s, yParity) gives the signing key. Two ways a faulty or hostile token can hand back a
// signature that does not: one that verifies for another key or digest, and one whose point R has
// x in [n, p) (valid ECDSA, since x ≡ r mod n, but recovery lifts x = r and finds another key).
// The second cannot be made with a known private key (it would take a discrete logarithm), so the
// test builds the public key from the point instead: Q = r⁻¹(s·R − z·G), the recovery formula.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { normalizeSignature, SignatureRecoveryError, type SignatureFault } from '../../../firmware-policy/evm/secp256k1-signature.js';

const Point = secp256k1.Point;
const N = Point.Fn.ORDER;
const P = Point.Fp.ORDER;
const Fn = Point.Fn;

const PRIV = hexToBytes('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');
const PUB = secp256k1.getPublicKey(PRIV, false);
const rsBytes = (r: bigint, s: bigint) => Uint8Array.from([...numberToBytesBE(r, 32), ...numberToBytesBE(s, 32)]);

function faultIs(fault: SignatureFault) {
  return (e: unknown) => e instanceof SignatureRecoveryError && e.fault === fault && e instanceof ApplianceError && e.code === 'internal' && (e.details as { fault?: string }).fault === fault;
}

/** The first x >= n (after `from`) that is the x of a curve point, as that point with even y. */
function pointWithHighX(from: bigint): { x: bigint; R: ReturnType<typeof Point.fromBytes> } {
  for (let x = from; x < P; x++) {
    try {
      return { x, R: Point.fromBytes(Uint8Array.from([0x02, ...numberToBytesBE(x, 32)])) };
    } catch {
      /* x³ + 7 is not a square mod p: try the next x */
    }
  }
  throw new Error('no point found');
}

/** A signature (r = R.x - n, s) over digest z that verifies for the public key it returns. */
function overflowSignature(R: ReturnType<typeof Point.fromBytes>, x: bigint, s: bigint, z: Uint8Array) {
  const r = x - N;
  const zn = Fn.create(bytesToNumberBE(z));
  // Q = r⁻¹(s·R − z·G): the key for which s·R = z·G + r·Q, i.e. for which (r, s) verifies over z.
  const Q = R.multiply(s).subtract(Point.BASE.multiply(zn)).multiply(Fn.inv(r));
  return { r, Q: Q.toBytes(false) };
}

test('R.x in [n, p): the crafted signature is valid ECDSA for its key, yet no yParity recovers that key', () => {
  const { x, R } = pointWithHighX(N + 1n); // x = n itself would make r = 0
  assert.ok(x > N && x < P);
  const z = keccak_256(Uint8Array.of(1, 1));
  const s = 0x1234_5678_9abc_def0n;
  const { r, Q } = overflowSignature(R, x, s, z);
  // It verifies (x ≡ r mod n) …
  assert.ok(secp256k1.verify(rsBytes(r, s), z, Q, { prehash: false, lowS: false }));
  // … but recovery with either parity lifts x = r, not R, and gives other keys.
  for (const bit of [0, 1]) assert.notDeepEqual(new secp256k1.Signature(r, s, bit).recoverPublicKey(z).toBytes(false), Q);
  // Before the fix this was released with R.y's parity; now it is refused, typed.
  assert.throws(() => normalizeSignature(rsBytes(r, s), z, Q), faultIs('r_overflow'));
});

test('property: R.x >= n is refused whatever the digest and either half of s', () => {
  const { x, R } = pointWithHighX(N + 1000n);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.bigInt({ min: 1n, max: N - 1n }), (z, s) => {
      const { r, Q } = overflowSignature(R, x, s, z);
      assert.throws(() => normalizeSignature(rsBytes(r, s), z, Q), faultIs('r_overflow'));
    }),
    { numRuns: 25 },
  );
});

test('a signature whose recovered key is not the signing key is refused: another key, another digest', () => {
  const digest = keccak_256(Uint8Array.of(7));
  const byOther = secp256k1.sign(digest, new Uint8Array(32).fill(9), { prehash: false });
  assert.throws(() => normalizeSignature(byOther, digest, PUB), faultIs('not_by_key'));
  const overOther = secp256k1.sign(keccak_256(Uint8Array.of(8)), PRIV, { prehash: false });
  assert.throws(() => normalizeSignature(overOther, digest, PUB), faultIs('not_by_key'));
  assert.throws(() => normalizeSignature(rsBytes(0n, 1n), digest, PUB), faultIs('out_of_range'));
  assert.throws(() => normalizeSignature(rsBytes(1n, N), digest, PUB), faultIs('out_of_range'));
  assert.throws(() => normalizeSignature(new Uint8Array(63), digest, PUB), faultIs('malformed'));
});

test('property: what is released recovers, with noble, to the signing key (low-s, either half of s given)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (digest, flip) => {
      const sig = secp256k1.Signature.fromBytes(secp256k1.sign(digest, PRIV, { prehash: false, lowS: true }));
      const out = normalizeSignature(rsBytes(sig.r, flip ? N - sig.s : sig.s), digest, PUB);
      assert.ok(out.s <= N >> 1n);
      assert.deepEqual(new secp256k1.Signature(out.r, out.s, out.yParity).recoverPublicKey(digest).toBytes(false), PUB);
    }),
    { numRuns: 50 },
  );
});
