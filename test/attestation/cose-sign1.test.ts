// attestation/cose-sign1.ts: our own cases (the cose-wg vectors are in cose-vectors.test.ts). Round trips
// for ES256 and EdDSA; every tampering is refused; the strict audit form (isCanonicalCoseSign1) accepts
// only our deterministic bytes while the lenient verifier accepts any valid encoding of the same parts;
// decoding arbitrary bytes throws nothing but ApplianceError('bad_request').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { encodeCanonical, type CborValue } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import {
  COSE_ALG_EDDSA,
  COSE_ALG_ES256,
  CborTag,
  checkCoseSign1,
  decodeCoseSign1,
  isCanonicalCoseSign1,
  sigStructure1,
  signCoseSign1,
  signCoseSign1Sync,
  verifyCoseSign1,
} from '../../attestation/cose-sign1.js';

const P256_SK = new Uint8Array(32).fill(7);
const P256_PK = p256.getPublicKey(P256_SK, false);
const P256_PK_COMPRESSED = p256.getPublicKey(P256_SK, true);
const ED_SK = new Uint8Array(32).fill(9);
const ED_PK = ed25519.getPublicKey(ED_SK);
const OTHER_P256_PK = p256.getPublicKey(new Uint8Array(32).fill(8), false);
const OTHER_ED_PK = ed25519.getPublicKey(new Uint8Array(32).fill(10));

const es256 = (m: Uint8Array): Uint8Array => p256.sign(m, P256_SK, { prehash: true, format: 'compact' });
const eddsa = (m: Uint8Array): Uint8Array => ed25519.sign(m, ED_SK);

const PAYLOAD = encodeCanonical({ seq: 1, event: 'sign', digest: new Uint8Array(32).fill(0xab) });
const KID = 'device-0001';

const signEs256 = (payload = PAYLOAD, externalAad?: Uint8Array): Uint8Array => signCoseSign1Sync({ alg: COSE_ALG_ES256, kid: KID, payload, externalAad, sign: es256 });
const signEdDsa = (payload = PAYLOAD, externalAad?: Uint8Array): Uint8Array => signCoseSign1Sync({ alg: COSE_ALG_EDDSA, kid: KID, payload, externalAad, sign: eddsa });

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** The protected header bytes {1: alg, 4: kid} as we write them. */
function protectedOf(alg: number, kid = KID): Uint8Array {
  return encodeCanonical(
    new Map<CborValue, CborValue>([
      [1, alg],
      [4, new TextEncoder().encode(kid)],
    ]),
  );
}

/** Tag 18 + [protected, unprotected, payload, signature], deterministically encoded. */
function message(protectedBytes: Uint8Array, payload: Uint8Array | null, signature: Uint8Array, unprotected = new Map<CborValue, CborValue>()): Uint8Array {
  return concat([0xd2], encodeCanonical([protectedBytes, unprotected, payload, signature]));
}

function isBadRequest(e: unknown): boolean {
  return e instanceof ApplianceError && e.code === 'bad_request';
}

test('sigStructure1: ["Signature1", protected, aad, payload] in deterministic CBOR (RFC 9052 §4.4)', () => {
  assert.equal(bytesToHex(sigStructure1(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))), '846a5369676e61747572653140' + '4040');
  assert.equal(bytesToHex(sigStructure1(Uint8Array.of(0xa1, 0x01, 0x26), Uint8Array.of(0xaa), new Uint8Array(24))), '846a5369676e617475726531' + '43a10126' + '41aa' + '5818' + '00'.repeat(24));
  assert.throws(() => sigStructure1('x' as unknown as Uint8Array, new Uint8Array(0), new Uint8Array(0)), isBadRequest);
});

test('ES256: sign, decode and verify (uncompressed and compressed SEC1 key; sync and async signer)', async () => {
  const sync = signEs256();
  const asyncMsg = await signCoseSign1({
    alg: COSE_ALG_ES256,
    kid: KID,
    payload: PAYLOAD,
    sign: async (m) => es256(m),
  });
  for (const m of [sync, asyncMsg]) {
    assert.equal(m[0], 0xd2, 'tag 18');
    assert.equal(verifyCoseSign1(m, P256_PK), true);
    assert.equal(verifyCoseSign1(m, P256_PK_COMPRESSED), true);
    assert.deepEqual(checkCoseSign1(m, P256_PK), { ok: true, alg: COSE_ALG_ES256 });
    assert.equal(isCanonicalCoseSign1(m), true);
    const d = decodeCoseSign1(m);
    assert.equal(d.tagged, true);
    assert.deepEqual(d.protectedBytes, protectedOf(COSE_ALG_ES256));
    assert.deepEqual(
      d.protectedHeader,
      new Map<number | string, unknown>([
        [1, COSE_ALG_ES256],
        [4, new TextEncoder().encode(KID)],
      ]),
    );
    assert.equal(d.unprotectedHeader.size, 0);
    assert.deepEqual(d.payload, PAYLOAD);
    assert.equal(d.signature.length, 64);
    assert.equal(Object.getPrototypeOf(d.payload), Uint8Array.prototype, 'plain Uint8Array, not a Buffer');
  }
  // Exactly the deterministic layout: tag, array(4), protected bstr, {}, payload bstr, 64-byte bstr.
  const d = decodeCoseSign1(sync);
  assert.deepEqual(sync, message(d.protectedBytes, PAYLOAD, d.signature));
});

test('EdDSA (Ed25519): sign, verify, deterministic bytes', async () => {
  const m = signEdDsa();
  assert.equal(verifyCoseSign1(m, ED_PK), true);
  assert.equal(isCanonicalCoseSign1(m), true);
  assert.deepEqual(signEdDsa(), m, 'same input, same bytes');
  assert.deepEqual(await signCoseSign1({ alg: COSE_ALG_EDDSA, kid: KID, payload: PAYLOAD, sign: async (x) => eddsa(x) }), m);
  const d = decodeCoseSign1(m);
  assert.deepEqual(d.signature, ed25519.sign(sigStructure1(protectedOf(COSE_ALG_EDDSA), new Uint8Array(0), PAYLOAD), ED_SK));
});

test('property: any payload and kid round-trip through EdDSA sign / decode / verify', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), (payload, kid) => {
      const m = signCoseSign1Sync({ alg: COSE_ALG_EDDSA, kid, payload, sign: eddsa });
      const d = decodeCoseSign1(m);
      assert.deepEqual(d.payload, payload);
      assert.equal(new TextDecoder().decode(d.protectedHeader.get(4) as Uint8Array), kid);
      assert.equal(verifyCoseSign1(m, ED_PK), true);
      assert.equal(isCanonicalCoseSign1(m), true);
    }),
    { numRuns: 100 },
  );
});

for (const [name, sign, pk, otherPk, wrongTypePk] of [
  ['ES256', signEs256, P256_PK, OTHER_P256_PK, ED_PK],
  ['EdDSA', signEdDsa, ED_PK, OTHER_ED_PK, P256_PK],
] as const) {
  test(`${name}: flipped payload byte, flipped signature byte, wrong key -> false`, () => {
    const m = sign();
    const d = decodeCoseSign1(m);
    const payload = Uint8Array.from(d.payload!);
    payload[5]! ^= 0x01;
    assert.deepEqual(checkCoseSign1(message(d.protectedBytes, payload, d.signature), pk), { ok: false, reason: 'bad_signature' });
    const sig = Uint8Array.from(d.signature);
    sig[10]! ^= 0x80;
    assert.deepEqual(checkCoseSign1(message(d.protectedBytes, d.payload, sig), pk), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(checkCoseSign1(m, otherPk), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(checkCoseSign1(m, wrongTypePk), { ok: false, reason: 'bad_key' });
    assert.equal(verifyCoseSign1(m, new Uint8Array(0)), false);
    assert.equal(verifyCoseSign1(m, 'key' as unknown as Uint8Array), false);
  });

  test(`${name}: every single-bit flip and every truncation of the message -> false`, () => {
    const m = sign();
    for (let i = 0; i < m.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const x = Uint8Array.from(m);
        x[i]! ^= 1 << bit;
        assert.equal(verifyCoseSign1(x, pk), false, `byte ${i} bit ${bit}`);
      }
      assert.equal(verifyCoseSign1(m.subarray(0, i), pk), false, `truncated to ${i}`);
    }
    assert.equal(verifyCoseSign1(concat(m, [0x00]), pk), false, 'trailing byte');
  });

  test(`${name}: external AAD must match`, () => {
    const aad = Uint8Array.of(1, 2, 3);
    const m = sign(PAYLOAD, aad);
    assert.equal(verifyCoseSign1(m, pk, { externalAad: aad }), true);
    assert.deepEqual(checkCoseSign1(m, pk), { ok: false, reason: 'bad_signature' });
    assert.equal(verifyCoseSign1(m, pk, { externalAad: Uint8Array.of(1, 2, 4) }), false);
    assert.equal(verifyCoseSign1(sign(), pk, { externalAad: aad }), false, 'signed without, checked with');
  });
}

test('alg swapped or unsupported in the protected header -> false', () => {
  const m = signEs256();
  const d = decodeCoseSign1(m);
  const swapped = message(protectedOf(COSE_ALG_EDDSA), d.payload, d.signature);
  assert.deepEqual(checkCoseSign1(swapped, P256_PK), { ok: false, reason: 'bad_key' });
  assert.deepEqual(checkCoseSign1(swapped, ED_PK), { ok: false, reason: 'bad_signature' });
  const e = decodeCoseSign1(signEdDsa());
  const swapped2 = message(protectedOf(COSE_ALG_ES256), e.payload, e.signature);
  assert.deepEqual(checkCoseSign1(swapped2, ED_PK), { ok: false, reason: 'bad_key' });
  assert.deepEqual(checkCoseSign1(swapped2, P256_PK), { ok: false, reason: 'bad_signature' });
  // Validly signed, but with algorithms we do not accept.
  for (const alg of [-35, -36, -257, 0, 1, 'ES256'] as CborValue[]) {
    const prot = encodeCanonical(new Map<CborValue, CborValue>([[1, alg]]));
    const sig = es256(sigStructure1(prot, new Uint8Array(0), PAYLOAD));
    assert.deepEqual(checkCoseSign1(message(prot, PAYLOAD, sig), P256_PK), { ok: false, reason: 'unsupported_alg' }, String(alg));
  }
});

test('alg only in the unprotected bucket is refused (RFC 9052 §3.1: alg must be authenticated)', () => {
  const sig = es256(sigStructure1(new Uint8Array(0), new Uint8Array(0), PAYLOAD));
  const m = message(new Uint8Array(0), PAYLOAD, sig, new Map<CborValue, CborValue>([[1, COSE_ALG_ES256]]));
  assert.deepEqual(checkCoseSign1(m, P256_PK), { ok: false, reason: 'alg_not_protected' });
  assert.deepEqual(checkCoseSign1(message(new Uint8Array(0), PAYLOAD, sig), P256_PK), { ok: false, reason: 'missing_alg' });
});

test('crit, duplicate labels, labels in both buckets, non-label keys', () => {
  // crit (2) present: refused even when validly signed.
  const prot = encodeCanonical(
    new Map<CborValue, CborValue>([
      [1, COSE_ALG_ES256],
      [2, [99]],
      [99, 1],
    ]),
  );
  const sig = es256(sigStructure1(prot, new Uint8Array(0), PAYLOAD));
  assert.deepEqual(checkCoseSign1(message(prot, PAYLOAD, sig), P256_PK), { ok: false, reason: 'unsupported_crit' });

  const good = decodeCoseSign1(signEs256());
  const kid = new Map<CborValue, CborValue>([[4, Uint8Array.of(1)]]);
  // Label 4 in both buckets.
  const both = message(good.protectedBytes, PAYLOAD, good.signature, kid);
  assert.throws(() => decodeCoseSign1(both), isBadRequest);
  assert.deepEqual(checkCoseSign1(both, P256_PK), { ok: false, reason: 'malformed' });
  // Duplicate label inside the unprotected map: {5: h'', 5: h''} (hand-written, the codec refuses it).
  const dup = concat([0xd2, 0x84], encodeCanonical(good.protectedBytes), [0xa2, 0x05, 0x40, 0x05, 0x40], encodeCanonical(PAYLOAD), encodeCanonical(good.signature));
  assert.throws(() => decodeCoseSign1(dup), isBadRequest);
  // Same label written twice with different encodings (0x05 and 0x1805).
  const dup2 = concat([0xd2, 0x84], encodeCanonical(good.protectedBytes), [0xa2, 0x05, 0x40, 0x18, 0x05, 0x40], encodeCanonical(PAYLOAD), encodeCanonical(good.signature));
  assert.throws(() => decodeCoseSign1(dup2), isBadRequest);
  // Labels must be int or tstr: a bstr key, and a float 1.0 (f93c00) posing as label 1.
  for (const key of [
    [0x41, 0x01],
    [0xf9, 0x3c, 0x00],
  ]) {
    const bad = concat([0xd2, 0x84], encodeCanonical(good.protectedBytes), [0xa1, ...key, 0x40], encodeCanonical(PAYLOAD), encodeCanonical(good.signature));
    assert.throws(() => decodeCoseSign1(bad), isBadRequest, bytesToHex(Uint8Array.from(key)));
  }
  // Header values may be any CBOR: an unknown tag in a value decodes to CborTag.
  const tagged = concat([0xd2, 0x84], encodeCanonical(good.protectedBytes), [0xa1, 0x18, 0x63, 0xc1, 0x1a, 0x65, 0x00, 0x00, 0x00], encodeCanonical(PAYLOAD), encodeCanonical(good.signature));
  const v = decodeCoseSign1(tagged).unprotectedHeader.get(99);
  assert.ok(v instanceof CborTag && v.tag === 1 && v.value === 0x65000000);
  assert.equal(verifyCoseSign1(tagged, P256_PK), true, 'unprotected headers are not signed');
  assert.equal(isCanonicalCoseSign1(tagged), false, 'but it is not our audit form');
});

test('detached payload (nil): verified against detachedPayload; ambiguity refused', () => {
  const prot = protectedOf(COSE_ALG_EDDSA);
  const sig = eddsa(sigStructure1(prot, new Uint8Array(0), PAYLOAD));
  const detached = message(prot, null, sig);
  assert.equal(decodeCoseSign1(detached).payload, null);
  assert.equal(verifyCoseSign1(detached, ED_PK, { detachedPayload: PAYLOAD }), true);
  assert.deepEqual(checkCoseSign1(detached, ED_PK), { ok: false, reason: 'missing_payload' });
  assert.equal(verifyCoseSign1(detached, ED_PK, { detachedPayload: concat(PAYLOAD, [0]) }), false);
  assert.equal(isCanonicalCoseSign1(detached), false, 'our audit entries always carry their payload');
  assert.deepEqual(checkCoseSign1(signEdDsa(), ED_PK, { detachedPayload: PAYLOAD }), { ok: false, reason: 'payload_conflict' });
});

test('ES256 signatures are raw r||s (RFC 9053 §2.1): DER refused, high-s accepted (no low-s rule on P-256)', () => {
  const prot = protectedOf(COSE_ALG_ES256);
  const tbs = sigStructure1(prot, new Uint8Array(0), PAYLOAD);
  const der = p256.sign(tbs, P256_SK, { prehash: true, format: 'der' });
  assert.equal(verifyCoseSign1(message(prot, PAYLOAD, der), P256_PK), false);
  const compact = p256.sign(tbs, P256_SK, { prehash: true, format: 'compact', lowS: true });
  const { Signature, Point } = p256;
  const s = Signature.fromBytes(compact, 'compact');
  const high = new Signature(s.r, Point.Fn.ORDER - s.s).toBytes('compact');
  assert.equal(verifyCoseSign1(message(prot, PAYLOAD, compact), P256_PK), true);
  assert.equal(verifyCoseSign1(message(prot, PAYLOAD, high), P256_PK), true);
});

test('isCanonicalCoseSign1: equivalent non-deterministic encodings verify but are not canonical', () => {
  const m = signEs256();
  const d = decodeCoseSign1(m);
  const prot = encodeCanonical(d.protectedBytes);
  const unprot = [0xa0];
  const pay = encodeCanonical(d.payload!);
  const sig = encodeCanonical(d.signature);
  const wide = (b: Uint8Array): number[] => [0x5a, 0, 0, (b.length >>> 8) & 0xff, b.length & 0xff, ...b];
  const chunked = (b: Uint8Array): number[] => [0x5f, ...encodeCanonical(b.subarray(0, 3)), ...encodeCanonical(b.subarray(3)), 0xff];
  const variants: Record<string, Uint8Array> = {
    untagged: m.subarray(1),
    'tag head d812': concat([0xd8, 0x12], m.subarray(1)),
    'array head 9804': concat([0xd2, 0x98, 0x04], m.subarray(2)),
    'indefinite array': concat([0xd2, 0x9f], m.subarray(2), [0xff]),
    'indefinite empty unprotected map': concat([0xd2, 0x84], prot, [0xbf, 0xff], pay, sig),
    'unprotected map head b90000': concat([0xd2, 0x84], prot, [0xb9, 0, 0], pay, sig),
    'payload with a 4-byte length': concat([0xd2, 0x84], prot, unprot, wide(d.payload!), sig),
    'payload in chunks': concat([0xd2, 0x84], prot, unprot, chunked(d.payload!), sig),
    'signature with a 4-byte length': concat([0xd2, 0x84], prot, unprot, pay, wide(d.signature)),
    'protected bstr in chunks': concat([0xd2, 0x84], chunked(d.protectedBytes), unprot, pay, sig),
  };
  assert.equal(isCanonicalCoseSign1(concat([0xd2, 0x84], prot, unprot, pay, sig)), true, 'the builder above is exact');
  for (const [name, bytes] of Object.entries(variants)) {
    assert.equal(verifyCoseSign1(bytes, P256_PK), true, `${name} verifies`);
    assert.equal(isCanonicalCoseSign1(bytes), false, `${name} is not canonical`);
    const v = decodeCoseSign1(bytes);
    assert.deepEqual([v.protectedBytes, v.payload, v.signature], [d.protectedBytes, d.payload, d.signature], name);
  }

  // Protected header in another valid encoding (keys unsorted, non-shortest int), validly signed over
  // those very bytes: verifies, not canonical.
  const kid = new TextEncoder().encode(KID);
  for (const protHex of [
    `a2044b${bytesToHex(kid)}0126`, // {4: kid, 1: -7}
    `a2013806044b${bytesToHex(kid)}`, // alg as 38 06 (non-shortest -7)
  ]) {
    const p = hexToBytes(protHex);
    const s2 = es256(sigStructure1(p, new Uint8Array(0), PAYLOAD));
    const msg = message(p, PAYLOAD, s2);
    assert.equal(verifyCoseSign1(msg, P256_PK), true, protHex);
    assert.equal(isCanonicalCoseSign1(msg), false, protHex);
  }

  // Extra headers, other structure: not what signCoseSign1 writes.
  assert.equal(isCanonicalCoseSign1(message(d.protectedBytes, PAYLOAD, d.signature, new Map<CborValue, CborValue>([[3, 0]]))), false);
  const withCtyp = encodeCanonical(
    new Map<CborValue, CborValue>([
      [1, COSE_ALG_ES256],
      [3, 0],
      [4, kid],
    ]),
  );
  assert.equal(isCanonicalCoseSign1(message(withCtyp, PAYLOAD, d.signature)), false);
  assert.equal(isCanonicalCoseSign1(message(d.protectedBytes, PAYLOAD, d.signature.subarray(0, 63))), false);
  assert.equal(isCanonicalCoseSign1(message(protectedOf(-35), PAYLOAD, d.signature)), false);
  assert.equal(isCanonicalCoseSign1(concat(m, [0])), false);
  assert.equal(isCanonicalCoseSign1('x' as unknown as Uint8Array), false);
});

test('signCoseSign1: bad options are bad_request, a bad signer result is internal', async () => {
  const base = { alg: COSE_ALG_EDDSA, kid: KID, payload: PAYLOAD, sign: eddsa };
  for (const bad of [
    { alg: -35 },
    { alg: 'EdDSA' },
    { kid: '' },
    { kid: 'a\ud800b' }, // lone surrogate: no UTF-8 form
    { kid: 7 },
    { payload: 'text' },
    { externalAad: [1, 2] },
  ]) {
    const opts = { ...base, ...bad } as unknown as Parameters<typeof signCoseSign1Sync>[0];
    assert.throws(() => signCoseSign1Sync(opts), isBadRequest, JSON.stringify(bad));
  }
  const isInternal = (e: unknown): boolean => e instanceof ApplianceError && e.code === 'internal';
  assert.throws(() => signCoseSign1Sync({ ...base, sign: (m) => eddsa(m).subarray(0, 63) }), isInternal);
  assert.throws(() => signCoseSign1Sync({ ...base, alg: COSE_ALG_ES256, sign: (m) => p256.sign(m, P256_SK, { format: 'der' }) }), isInternal);
  await assert.rejects(signCoseSign1({ ...base, sign: async () => new Uint8Array(65) }), isInternal);
  await assert.rejects(signCoseSign1({ ...base, kid: '', sign: async (m) => eddsa(m) }), isBadRequest);
  // The signer sees exactly the Sig_structure.
  let seen: Uint8Array | undefined;
  signCoseSign1Sync({ ...base, externalAad: Uint8Array.of(9), sign: (m) => ((seen = m), eddsa(m)) });
  assert.deepEqual(seen, sigStructure1(protectedOf(COSE_ALG_EDDSA), Uint8Array.of(9), PAYLOAD));
});

test('decodeCoseSign1: malformed inputs are bad_request', () => {
  const good = signEs256();
  const cases: Record<string, string> = {
    empty: '',
    'wrong tag (19)': 'd3' + bytesToHex(good.subarray(1)),
    'COSE_Sign tag (98)': 'd862' + bytesToHex(good.subarray(1)),
    'not an array': 'd2a0',
    'array of 3': 'd283404040',
    'array of 5': 'd285' + bytesToHex(good.subarray(2)) + '40',
    'indefinite array of 3': 'd29f40a040ff',
    'protected not bstr': 'd284a0a04040',
    'protected bstr not a map': 'd2844101a04040',
    'protected map with trailing byte': 'd28443a00000a04040',
    'unprotected not a map': 'd28440804040',
    'payload is text': 'd2844040a06040',
    'signature nil': 'd2844040a040f6',
    'huge length': 'd284405bffffffffffffffff',
    'reserved ai': 'd2841c',
    'unexpected break': 'd284ff',
    'invalid utf-8 in a header value': 'd28440a10162c328' + '4040',
    'indefinite tag head': 'df',
    'deep nesting in a header value': 'd28440a101' + '81'.repeat(1000) + '00' + '4040',
    'indefinite map with odd items': 'd28440bf01ff4040',
    'duplicate key in a nested map': 'd28440a11863a2010001004040',
    'duplicate bstr key in a nested map': 'd28440a11863a241aa0041aa004040',
  };
  for (const [name, hex] of Object.entries(cases)) {
    assert.throws(() => decodeCoseSign1(hexToBytes(hex)), isBadRequest, name);
    assert.equal(verifyCoseSign1(hexToBytes(hex), P256_PK), false, name);
  }
  assert.throws(() => decodeCoseSign1(null as unknown as Uint8Array), isBadRequest);
  assert.deepEqual(checkCoseSign1(hexToBytes('d3' + bytesToHex(good.subarray(1))), P256_PK), { ok: false, reason: 'wrong_tag' });
  // A Buffer input decodes to plain arrays that do not alias it.
  const buf = Buffer.from(good);
  const d = decodeCoseSign1(buf);
  buf.fill(0);
  assert.deepEqual(d.payload, PAYLOAD);
  assert.equal(Object.getPrototypeOf(d.signature), Uint8Array.prototype);
});

test('property: decoding random bytes throws nothing but ApplianceError(bad_request); verify never throws', () => {
  const good = signEdDsa();
  const prefixes = [new Uint8Array(0), Uint8Array.of(0xd2), Uint8Array.of(0xd2, 0x84), Uint8Array.of(0x84), good.subarray(0, 40)];
  fc.assert(
    fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 200 }), (prefix, tail) => {
      const bytes = concat(prefix, tail);
      try {
        decodeCoseSign1(bytes);
      } catch (e) {
        assert.ok(isBadRequest(e), `unexpected ${String(e)}`);
      }
      assert.equal(typeof verifyCoseSign1(bytes, ED_PK), 'boolean');
      assert.equal(typeof isCanonicalCoseSign1(bytes), 'boolean');
    }),
    { numRuns: 3000 },
  );
  // Random edits of a valid message: decode succeeds or throws bad_request; the result never verifies.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
      const x = Uint8Array.from(good);
      for (const [i, v] of edits) x[i]! ^= v;
      if (bytesToHex(x) === bytesToHex(good)) return;
      try {
        decodeCoseSign1(x);
      } catch (e) {
        assert.ok(isBadRequest(e), `unexpected ${String(e)}`);
      }
      assert.equal(verifyCoseSign1(x, ED_PK), false);
    }),
    { numRuns: 2000 },
  );
});
