// Own cases for the approval signature verifier: round trips with noble-signed approvals,
// tampering, wrong keys, encodings, the cofactorless Ed25519 rule, and a fast-check property
// that garbage never verifies and never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { verifyApprovalSignature } from '../../../firmware-policy/approvals/verify-signature.js';
import { verifyEd25519, verifyP256 } from '../../../protocol/signature-verify.js';

// Fixed secrets so failures reproduce.
const P256_SK = new Uint8Array(32).fill(7);
const P256_SK_OTHER = new Uint8Array(32).fill(9);
const ED_SK = new Uint8Array(32).fill(11);
const ED_SK_OTHER = new Uint8Array(32).fill(13);

const message = utf8ToBytes('approve device=dev-1 intent=ab12 expires=1700000000');

function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index % out.length]! ^= 1 << (index % 8);
  return out;
}

const P256_N = p256.Point.Fn.ORDER;

test('P-256: a noble DER signature verifies, under both key encodings', () => {
  const pkCompressed = p256.getPublicKey(P256_SK, true);
  const pkUncompressed = p256.getPublicKey(P256_SK, false);
  const sig = p256.sign(message, P256_SK, { format: 'der', prehash: true });
  assert.equal(verifyP256(pkCompressed, message, sig, 'der'), true);
  assert.equal(verifyP256(pkUncompressed, message, sig, 'der'), true);
  assert.equal(verifyApprovalSignature('ES256', pkUncompressed, message, sig), true);
});

test('P-256: P1363 signatures verify only as P1363; the ES256 dispatch wants DER', () => {
  const pk = p256.getPublicKey(P256_SK, false);
  const sig = p256.sign(message, P256_SK, { format: 'compact' });
  assert.equal(verifyP256(pk, message, sig, 'p1363'), true);
  assert.equal(verifyP256(pk, message, sig, 'der'), false);
  assert.equal(verifyApprovalSignature('ES256', pk, message, sig), false);
});

test('P-256: high-s is valid (no low-s rule on P-256)', () => {
  const pk = p256.getPublicKey(P256_SK, false);
  const sig = p256.Signature.fromBytes(p256.sign(message, P256_SK, { format: 'compact' }), 'compact');
  const high = sig.hasHighS() ? sig : new p256.Signature(sig.r, P256_N - sig.s);
  assert.equal(high.hasHighS(), true);
  assert.equal(verifyP256(pk, message, high.toBytes('der'), 'der'), true);
  assert.equal(verifyP256(pk, message, high.toBytes('compact'), 'p1363'), true);
});

test('P-256: a tampered message, a wrong key or a flipped signature bit fails', () => {
  const pk = p256.getPublicKey(P256_SK, false);
  const other = p256.getPublicKey(P256_SK_OTHER, false);
  const sig = p256.sign(message, P256_SK, { format: 'der' });
  assert.equal(verifyP256(pk, flipBit(message, 3), sig, 'der'), false);
  assert.equal(verifyP256(other, message, sig, 'der'), false);
  for (let i = 0; i < sig.length; i++) assert.equal(verifyP256(pk, message, flipBit(sig, i), 'der'), false, `byte ${i}`);
});

test('P-256: non-strict DER (trailing byte, long-form length, padded integer) fails', () => {
  const pk = p256.getPublicKey(P256_SK, false);
  const sig = p256.Signature.fromBytes(p256.sign(message, P256_SK, { format: 'compact' }), 'compact');
  const der = sig.toBytes('der');
  assert.equal(verifyP256(pk, message, der, 'der'), true);
  // Trailing garbage after the SEQUENCE.
  assert.equal(verifyP256(pk, message, concatBytes(der, Uint8Array.of(0)), 'der'), false);
  // Same SEQUENCE with a long-form length byte (BER, not DER).
  const longForm = concatBytes(Uint8Array.of(0x30, 0x81, der[1]!), der.subarray(2));
  assert.equal(verifyP256(pk, message, longForm, 'der'), false);
  // r with a superfluous leading zero.
  const rLen = der[3]!;
  const r = der.subarray(4, 4 + rLen);
  const rest = der.subarray(4 + rLen);
  const padded = concatBytes(Uint8Array.of(0x30, der[1]! + 1, 0x02, rLen + 1, 0x00), r, rest);
  assert.equal(verifyP256(pk, message, padded, 'der'), false);
});

test('P-256: r or s of zero or >= n fails', () => {
  const pk = p256.getPublicKey(P256_SK, false);
  const enc = (r: bigint, s: bigint) => {
    const b = new Uint8Array(64);
    for (let i = 0; i < 32; i++) {
      b[31 - i] = Number((r >> BigInt(8 * i)) & 0xffn);
      b[63 - i] = Number((s >> BigInt(8 * i)) & 0xffn);
    }
    return b;
  };
  const sig = p256.Signature.fromBytes(p256.sign(message, P256_SK, { format: 'compact' }), 'compact');
  assert.equal(verifyP256(pk, message, enc(sig.r, sig.s), 'p1363'), true);
  assert.equal(verifyP256(pk, message, enc(0n, sig.s), 'p1363'), false);
  assert.equal(verifyP256(pk, message, enc(sig.r, 0n), 'p1363'), false);
  assert.equal(verifyP256(pk, message, enc(P256_N, sig.s), 'p1363'), false);
  assert.equal(verifyP256(pk, message, enc(sig.r, P256_N), 'p1363'), false);
  assert.equal(verifyP256(pk, message, enc(2n ** 256n - 1n, sig.s), 'p1363'), false);
});

test('Ed25519: a noble signature verifies; tampering and a wrong key fail', () => {
  const pk = ed25519.getPublicKey(ED_SK);
  const other = ed25519.getPublicKey(ED_SK_OTHER);
  const sig = ed25519.sign(message, ED_SK);
  assert.equal(verifyEd25519(pk, message, sig), true);
  assert.equal(verifyApprovalSignature('EdDSA', pk, message, sig), true);
  assert.equal(verifyEd25519(pk, flipBit(message, 0), sig), false);
  assert.equal(verifyEd25519(other, message, sig), false);
  for (let i = 0; i < 64; i++) assert.equal(verifyEd25519(pk, message, flipBit(sig, i)), false, `byte ${i}`);
});

test('Ed25519: S + L (non-canonical S) fails', () => {
  const pk = ed25519.getPublicKey(ED_SK);
  const sig = ed25519.sign(message, ED_SK);
  const L = ed25519.Point.Fn.ORDER;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  const bumped = Uint8Array.from(sig);
  let v = s + L;
  for (let i = 32; i < 64; i++) {
    bumped[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  assert.equal(verifyEd25519(pk, message, bumped), false);
});

/** Little-endian bytes to bigint. */
function le(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

test('Ed25519: cofactorless: a signature whose R has a small-order component fails', () => {
  // Build R' = rB + T with T of order 8 and S = r + H(R' || A || M)·a. Then [8]SB = [8]R' + [8]kA
  // holds (the cofactored check passes) but SB = R' + kA does not, by T.
  const { Point } = ed25519;
  const L = Point.Fn.ORDER;
  const { scalar: a, pointBytes: pk } = ed25519.utils.getExtendedPublicKey(ED_SK);
  // An order-8 point: find one by clearing the prime-order part of a point with torsion.
  // The RFC 8032 encoding of a known order-8 point (y = 0x26e8958f...): decoded and checked below.
  const T = Point.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
  assert.equal(T.isSmallOrder(), true);
  assert.equal(T.is0(), false);
  const r = 123456789n;
  const Rp = Point.BASE.multiply(r).add(T);
  const rBytes = Rp.toBytes();
  const k = Point.Fn.create(le(sha512(concatBytes(rBytes, pk, message))));
  const S = (r + k * a) % L;
  const sBytes = new Uint8Array(32);
  let v = S;
  for (let i = 0; i < 32; i++) {
    sBytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  const sig = concatBytes(rBytes, sBytes);
  // noble's own (cofactored) check accepts it; ours must not.
  assert.equal(ed25519.verify(sig, message, pk, { zip215: false }), true);
  assert.equal(verifyEd25519(pk, message, sig), false);
  // And the honest signature for the same r (no torsion) passes both.
  const rb = Point.BASE.multiply(r).toBytes();
  const k2 = Point.Fn.create(le(sha512(concatBytes(rb, pk, message))));
  let v2 = (r + k2 * a) % L;
  const s2 = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    s2[i] = Number(v2 & 0xffn);
    v2 >>= 8n;
  }
  assert.equal(verifyEd25519(pk, message, concatBytes(rb, s2)), true);
});

test('Ed25519: a small-order public key verifies nothing (no universal forgery)', () => {
  // With A = identity, [S]B = R + [k]A holds for R = [S]B and ANY message: a key-less "signature".
  const { Point } = ed25519;
  const identity = hexToBytes('0100000000000000000000000000000000000000000000000000000000000000');
  const S = 987654321n;
  const sBytes = new Uint8Array(32);
  let v = S;
  for (let i = 0; i < 32; i++) {
    sBytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  const forged = concatBytes(Point.BASE.multiply(S).toBytes(), sBytes);
  // The bare cofactorless equation would accept it; the verifier must not.
  assert.equal(verifyEd25519(identity, message, forged), false);
  assert.equal(verifyEd25519(identity, utf8ToBytes('another message'), forged), false);
});

test('wrong algorithm or unknown algorithm fails', () => {
  const edPk = ed25519.getPublicKey(ED_SK);
  const edSig = ed25519.sign(message, ED_SK);
  const pPk = p256.getPublicKey(P256_SK, true);
  const pSig = p256.sign(message, P256_SK, { format: 'der' });
  assert.equal(verifyApprovalSignature('ES256', edPk, message, edSig), false);
  assert.equal(verifyApprovalSignature('EdDSA', pPk, message, pSig), false);
  assert.equal(verifyApprovalSignature('RS256' as never, pPk, message, pSig), false);
});

test('property: garbage keys and signatures of random lengths return false, never throw', () => {
  const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
  fc.assert(
    fc.property(bytes(100), bytes(200), bytes(100), (pk, msg, sig) => {
      assert.equal(verifyP256(pk, msg, sig, 'der'), false);
      assert.equal(verifyP256(pk, msg, sig, 'p1363'), false);
      assert.equal(verifyEd25519(pk, msg, sig), false);
      assert.equal(verifyApprovalSignature('ES256', pk, msg, sig), false);
      assert.equal(verifyApprovalSignature('EdDSA', pk, msg, sig), false);
    }),
    { numRuns: 300 },
  );
});

test('property: valid keys with garbage signatures of the right length return false', () => {
  const edPk = ed25519.getPublicKey(ED_SK);
  const pPk = p256.getPublicKey(P256_SK, false);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ minLength: 8, maxLength: 72 }), fc.uint8Array({ maxLength: 64 }), (sig64, derish, msg) => {
      assert.equal(verifyEd25519(edPk, msg, sig64), false);
      assert.equal(verifyP256(pPk, msg, sig64, 'p1363'), false);
      // DER-shaped garbage: a SEQUENCE header with random contents.
      const der = concatBytes(Uint8Array.of(0x30, derish.length), derish);
      assert.equal(verifyP256(pPk, msg, der, 'der'), false);
    }),
    { numRuns: 200 },
  );
});

test('property: non-Uint8Array inputs return false, never throw', () => {
  const junk = [undefined, null, 'abc', 42, {}, [1, 2, 3]] as unknown as Uint8Array[];
  const pk = ed25519.getPublicKey(ED_SK);
  const sig = ed25519.sign(message, ED_SK);
  for (const j of junk) {
    assert.equal(verifyEd25519(j, message, sig), false);
    assert.equal(verifyEd25519(pk, j, sig), false);
    assert.equal(verifyEd25519(pk, message, j), false);
    assert.equal(verifyP256(j, message, j, 'der'), false);
    assert.equal(verifyP256(pk, message, sig, 'bogus' as never), false);
  }
});

test('remembered results never carry over to other inputs (verification memo)', () => {
  const { secretKey } = p256.keygen();
  const pk = p256.getPublicKey(secretKey, false);
  const message = new TextEncoder().encode('memo check');
  const sig = p256.sign(message, secretKey, { prehash: true, format: 'der' });
  for (let i = 0; i < 3; i++) assert.equal(verifyApprovalSignature('ES256', pk, message, sig), true);
  const other = Uint8Array.from(message);
  other[0] = other[0]! ^ 1;
  assert.equal(verifyApprovalSignature('ES256', pk, other, sig), false);
  assert.equal(verifyApprovalSignature('EdDSA', pk, message, sig), false, 'same bytes under another alg');
  // Length-prefixed parts: moving a byte between message and signature is another input.
  const shifted = Uint8Array.from([...message, sig[0]!]);
  assert.equal(verifyApprovalSignature('ES256', pk, shifted, sig.subarray(1)), false);
  assert.equal(verifyApprovalSignature('ES256', pk, message, sig), true);
});
