// The signing path's yParity on libsecp256k1 (appliance/signature-parity.ts) gives exactly what the
// pure normalizeSignature gives: the same (r, low s, yParity) for signatures by the key (either half
// of s, random digests, keys from a pool), and the same typed fault for every signature that must not
// leave (another key, another digest, R.x >= n, out of range, malformed). The binding must be loaded,
// so a silent fallback to JavaScript fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { normalizeSignature, SignatureRecoveryError } from '../../firmware-policy/evm/secp256k1-signature.js';
import { ethereumSignature, nativeRecoveryLoaded } from '../../appliance/signature-parity.js';

const Point = secp256k1.Point;
const N = Point.Fn.ORDER;
const Fn = Point.Fn;
const rsBytes = (r: bigint, s: bigint) => Uint8Array.from([...numberToBytesBE(r, 32), ...numberToBytesBE(s, 32)]);

/** The fault the function throws, or its answer. */
function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof SignatureRecoveryError, `a typed refusal, got ${String(e)}`);
    return { fault: e.fault };
  }
}

function same(rs: Uint8Array, digest: Uint8Array, pub: Uint8Array): unknown {
  const pure = outcome(() => normalizeSignature(rs, digest, pub));
  assert.deepEqual(
    outcome(() => ethereumSignature(rs, digest, pub)),
    pure,
  );
  return pure;
}

test('the libsecp256k1 binding is loaded', () => {
  assert.equal(nativeRecoveryLoaded(), true);
});

// The keys the property signs with. The pure side builds a multiplication table for each key it
// sees (the device has a few keys, each tabled once: about a tenth of a second of CPU per key), so a
// fresh key per case made this file 15 s of CPU (2.7 s now); the parity and the low-s step depend on
// the digest and the nonce, which stay random per case.
const KEYS = Array.from({ length: 12 }, (_, i) => {
  const priv = Fn.toBytes(Fn.create(bytesToNumberBE(keccak_256(Uint8Array.of(0x6b, i)))) || 1n);
  return { priv, pub: secp256k1.getPublicKey(priv, false) };
});

test('property: signatures by the key get the pure answer, whichever half of s the token gave', () => {
  let parities = 0;
  fc.assert(
    fc.property(fc.constantFrom(...KEYS), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), ({ priv, pub }, digest, flip) => {
      const sig = secp256k1.Signature.fromBytes(secp256k1.sign(digest, priv, { prehash: false, lowS: true }));
      const got = same(rsBytes(sig.r, flip ? N - sig.s : sig.s), digest, pub) as { yParity: number; s: bigint };
      assert.ok(got.s <= N >> 1n);
      parities += got.yParity;
    }),
    { numRuns: 120 },
  );
  assert.ok(parities > 10 && parities < 110, 'both parities came up');
});

test('signatures that must not leave are refused with the same fault as the pure check', () => {
  const priv = new Uint8Array(32).fill(5);
  const pub = secp256k1.getPublicKey(priv, false);
  const digest = keccak_256(Uint8Array.of(7));
  const cases: [string, Uint8Array, Uint8Array, string][] = [
    ['another key', secp256k1.sign(digest, new Uint8Array(32).fill(9), { prehash: false }), digest, 'not_by_key'],
    ['another digest', secp256k1.sign(keccak_256(Uint8Array.of(8)), priv, { prehash: false }), digest, 'not_by_key'],
    ['r = 0', rsBytes(0n, 1n), digest, 'out_of_range'],
    ['s = n', rsBytes(1n, N), digest, 'out_of_range'],
    ['63 bytes', new Uint8Array(63), digest, 'malformed'],
    ['short digest', rsBytes(1n, 1n), new Uint8Array(31), 'malformed'],
  ];
  for (const [name, rs, d, fault] of cases) assert.deepEqual(same(rs, d, pub), { fault }, name);
});

test('R.x in [n, p): valid ECDSA for its key, refused as r_overflow by both', () => {
  // The crafted key of test/firmware-policy/evm/secp256k1-signature.test.ts: Q = r⁻¹(s·R − z·G).
  let R: ReturnType<typeof Point.fromBytes> | undefined;
  let x = N + 7n;
  for (; !R; x++) {
    try {
      R = Point.fromBytes(Uint8Array.from([0x03, ...numberToBytesBE(x, 32)]));
    } catch {
      /* not on the curve */
    }
  }
  x--;
  const z = keccak_256(Uint8Array.of(2));
  const s = 0xdead_beefn;
  const r = x - N;
  const Q = R.multiply(s)
    .subtract(Point.BASE.multiply(Fn.create(bytesToNumberBE(z))))
    .multiply(Fn.inv(r))
    .toBytes(false);
  assert.deepEqual(same(rsBytes(r, s), z, Q), { fault: 'r_overflow' });
});
