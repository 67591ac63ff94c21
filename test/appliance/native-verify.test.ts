// The appliance's approver signature checks on OpenSSL (appliance/native-verify.ts) against the pure
// ones they stand in for (protocol/signature-verify.ts): on every Wycheproof vector of ES256 in DER
// (with the key uncompressed and compressed) and of Ed25519, both give the vector's expected answer,
// so handing them to the evaluator changes no decision. Also: keys the pure verifier refuses (small
// order, off the curve, malformed) are refused, and the evaluator uses what it was handed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';
import { readVectorJson } from '../helpers/vectors.js';
import { verifyEd25519, verifyP256 } from '../../protocol/signature-verify.js';
import { verifyEd25519Native, verifyP256DerNative } from '../../appliance/native-verify.js';
import { PURE_APPROVAL_VERIFIERS, useApprovalVerifiers, verifyApprovalSignature } from '../../firmware-policy/approvals/verify-signature.js';

interface Vector {
  tcId: number;
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface File<K> {
  testGroups: { publicKey: K; tests: Vector[] }[];
}

function compress(uncompressed: Uint8Array): Uint8Array {
  const out = new Uint8Array(33);
  out[0] = (uncompressed[64]! & 1) === 1 ? 0x03 : 0x02;
  out.set(uncompressed.subarray(1, 33), 1);
  return out;
}

test('ES256 (DER): OpenSSL and the pure verifier agree with every Wycheproof vector', () => {
  const data = readVectorJson<File<{ uncompressed: string }>>('wycheproof', 'ecdsa_secp256r1_sha256_test.json');
  let valid = 0;
  let cases = 0;
  for (const g of data.testGroups) {
    const key = hexToBytes(g.publicKey.uncompressed);
    for (const k of [key, compress(key)]) {
      for (const t of g.tests) {
        const msg = hexToBytes(t.msg);
        const sig = hexToBytes(t.sig);
        const want = t.result === 'valid';
        assert.equal(verifyP256DerNative(k, msg, sig), want, `tcId ${t.tcId} (native, ${k.length}-byte key)`);
        assert.equal(verifyP256(k, msg, sig, 'der'), want, `tcId ${t.tcId} (pure)`);
        cases++;
        if (want) valid++;
      }
    }
  }
  assert.deepEqual([cases, valid], [968, 348], 'every vector ran, with both key forms');
});

test('Ed25519: OpenSSL (with the key checks) and the pure verifier agree with every Wycheproof vector', () => {
  const data = readVectorJson<File<{ pk: string }>>('wycheproof', 'ed25519_test.json');
  let valid = 0;
  let cases = 0;
  for (const g of data.testGroups) {
    const key = hexToBytes(g.publicKey.pk);
    for (const t of g.tests) {
      const msg = hexToBytes(t.msg);
      const sig = hexToBytes(t.sig);
      const want = t.result === 'valid';
      assert.equal(verifyEd25519Native(key, msg, sig), want, `tcId ${t.tcId} (native)`);
      assert.equal(verifyEd25519(key, msg, sig), want, `tcId ${t.tcId} (pure)`);
      cases++;
      if (want) valid++;
    }
  }
  assert.deepEqual([cases, valid], [151, 88]);
});

test('keys the pure verifier refuses are refused: small order, not on the curve, wrong length', () => {
  const msg = new TextEncoder().encode('approve');
  // The identity point (y = 1) is of small order; a valid-looking signature over it must not count.
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const sigOverIdentity = new Uint8Array(64);
  sigOverIdentity[0] = 1; // R = identity, S = 0: [0]B = R + [k]·identity holds
  assert.equal(verifyEd25519(identity, msg, sigOverIdentity), false);
  assert.equal(verifyEd25519Native(identity, msg, sigOverIdentity), false);
  const offCurve = new Uint8Array(65);
  offCurve[0] = 4;
  offCurve[64] = 7;
  assert.equal(verifyP256DerNative(offCurve, msg, new Uint8Array(70)), false);
  assert.equal(verifyP256DerNative(new Uint8Array(10), msg, new Uint8Array(70)), false);
  assert.equal(verifyEd25519Native(new Uint8Array(31), msg, new Uint8Array(64)), false);
});

test('the evaluator checks approvals with the verifiers it was handed', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  const msg = new TextEncoder().encode(`statement ${Math.random()}`);
  const sig = new Uint8Array(sign(null, msg, privateKey));
  const calls: string[] = [];
  useApprovalVerifiers({
    es256Der: () => false,
    ed25519: (k, m, s) => {
      calls.push('ed25519');
      return verifyEd25519Native(k, m, s);
    },
  });
  try {
    assert.equal(verifyApprovalSignature('EdDSA', raw, msg, sig), true);
    assert.deepEqual(calls, ['ed25519']);
  } finally {
    useApprovalVerifiers(PURE_APPROVAL_VERIFIERS);
  }
});
