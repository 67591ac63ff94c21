// RLP against ethereum/tests RLPTests (rlptest.json: encode and decode exactly; invalidRLPTest.json:
// every entry rejected), the canonical-form rules of rlp.ts, and fast-check properties
// (one value, one encoding; hostile bytes only ever raise ApplianceError).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { decodeRlp, decodeUint, encodeRlp, encodeUint, type RlpItem } from '../../../firmware-policy/evm/rlp.js';
import { readVectorJson } from '../../helpers/vectors.js';

type VectorIn = string | number | VectorIn[];
interface RlpVector {
  in: VectorIn;
  out: string;
}

const hex = (s: string): Uint8Array => hexToBytes(s.replace(/^0x/i, '').toLowerCase());

/** The test format: "#digits" is a big integer, numbers are integers, other strings are bytes. */
function toItem(x: VectorIn): RlpItem {
  if (Array.isArray(x)) return x.map(toItem);
  if (typeof x === 'number') return encodeUint(BigInt(x));
  if (x.startsWith('#')) return encodeUint(BigInt(x.slice(1)));
  return new TextEncoder().encode(x);
}

const isBadRequest = (e: unknown): boolean => e instanceof ApplianceError && e.code === 'bad_request';

function rejects(bytes: Uint8Array, why: string): void {
  assert.throws(() => decodeRlp(bytes), isBadRequest, `${why}: ${bytesToHex(bytes)}`);
}

test('rlptest.json: every vector encodes to `out` and `out` decodes back to it', (t) => {
  const vectors = readVectorJson<Record<string, RlpVector>>('ethereum-tests', 'RLPTests', 'rlptest.json');
  const names = Object.keys(vectors);
  assert.equal(names.length, 28);
  for (const name of names) {
    const v = vectors[name] as RlpVector;
    const item = toItem(v.in);
    const out = hex(v.out);
    assert.equal(bytesToHex(encodeRlp(item)), bytesToHex(out), `${name}: encode`);
    assert.deepEqual(decodeRlp(out), item, `${name}: decode`);
  }
  t.diagnostic(`rlptest.json: ${names.length}/${names.length} encoded and decoded exactly`);
});

test('invalidRLPTest.json: every vector is rejected with bad_request', (t) => {
  const vectors = readVectorJson<Record<string, RlpVector>>('ethereum-tests', 'RLPTests', 'invalidRLPTest.json');
  const names = Object.keys(vectors);
  assert.equal(names.length, 26);
  for (const name of names) rejects(hex((vectors[name] as RlpVector).out), name);
  t.diagnostic(`invalidRLPTest.json: ${names.length}/${names.length} rejected`);
});

test('canonical form: each non-canonical shape is rejected', () => {
  const fill = (n: number, b = 0x61): number[] => new Array<number>(n).fill(b);
  // a single byte < 0x80 wrapped as a string
  rejects(Uint8Array.of(0x81, 0x00), 'wrapped 00');
  rejects(Uint8Array.of(0x81, 0x7f), 'wrapped 7f');
  assert.deepEqual(decodeRlp(Uint8Array.of(0x81, 0x80)), Uint8Array.of(0x80));
  // long form for a length below 56, strings and lists
  rejects(Uint8Array.of(0xb8, 55, ...fill(55)), 'long-form string of 55');
  rejects(Uint8Array.of(0xf8, 55, ...fill(55, 0x01)), 'long-form list of 55');
  assert.equal(decodeRlp(Uint8Array.of(0xb8, 56, ...fill(56))).length, 56);
  assert.equal((decodeRlp(Uint8Array.of(0xf8, 56, ...fill(56, 0x01))) as RlpItem[]).length, 56);
  // long-form length with a leading zero
  rejects(Uint8Array.of(0xb9, 0x00, 56, ...fill(56)), 'length 00 38');
  rejects(Uint8Array.of(0xf9, 0x00, 56, ...fill(56, 0x01)), 'list length 00 38');
  // lengths past the end: of the input, and of the enclosing list
  rejects(Uint8Array.of(0x83, 0x61, 0x62), 'string past end');
  rejects(Uint8Array.of(0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 'length 2^64-1');
  rejects(Uint8Array.of(0xc2, 0x82, 0x61, 0x62), 'item past end of its list');
  rejects(Uint8Array.of(0xc1), 'empty list header with missing payload');
  // trailing bytes
  rejects(Uint8Array.of(0x80, 0x80), 'trailing byte');
  rejects(Uint8Array.of(0xc0, 0x00), 'trailing byte after list');
  rejects(new Uint8Array(0), 'empty input');
});

/** Wraps an encoding in one list header, by hand (the encoder refuses deep nesting). */
function wrapInList(payload: Uint8Array): Uint8Array {
  const len = payload.length;
  let header: number[];
  if (len < 56) header = [0xc0 + len];
  else {
    const lenBytes = Array.from(encodeUint(BigInt(len)));
    header = [0xf7 + lenBytes.length, ...lenBytes];
  }
  return Uint8Array.from([...header, ...payload]);
}

function nested(depth: number): Uint8Array {
  let bytes: Uint8Array = Uint8Array.of(0xc0);
  for (let i = 1; i < depth; i++) bytes = wrapInList(bytes);
  return bytes;
}

test('nesting is bounded on decode and on encode (no stack overflow on hostile input)', () => {
  assert.doesNotThrow(() => decodeRlp(nested(64)));
  rejects(nested(65), 'depth 65');
  assert.throws(() => decodeRlp(nested(64), { maxDepth: 63 }), isBadRequest);
  assert.doesNotThrow(() => decodeRlp(nested(200), { maxDepth: 200 }));
  rejects(nested(5000), 'depth 5000');
  let item: RlpItem = [];
  for (let i = 1; i < 64; i++) item = [item];
  assert.doesNotThrow(() => encodeRlp(item));
  assert.throws(() => encodeRlp([item]), isBadRequest);
});

test('integers: minimal big-endian, zero is the empty string, leading zeros rejected', () => {
  assert.deepEqual(encodeUint(0n), new Uint8Array(0));
  assert.deepEqual(encodeUint(0x7fn), Uint8Array.of(0x7f));
  assert.deepEqual(encodeUint(0x100n), Uint8Array.of(0x01, 0x00));
  assert.equal(decodeUint(new Uint8Array(0), 'x'), 0n);
  assert.throws(
    () => decodeUint(Uint8Array.of(0x00), 'nonce'),
    (e: unknown) => isBadRequest(e) && /"nonce" has a leading zero byte/.test((e as Error).message),
  );
  assert.throws(() => decodeUint(Uint8Array.of(0x00, 0x01), 'nonce'), isBadRequest);
  assert.throws(
    () => decodeUint(new Uint8Array(33).fill(1), 'value'),
    (e: unknown) => isBadRequest(e) && /"value" exceeds 256 bits/.test((e as Error).message),
  );
  assert.throws(
    () => decodeUint([], 'gasLimit'),
    (e: unknown) => isBadRequest(e) && /"gasLimit" must be a byte string/.test((e as Error).message),
  );
  assert.throws(() => encodeUint(-1n), isBadRequest);
});

// ---------------------------------------------------------------------------------------------
// Properties

const itemArb: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>((tie) => ({
  item: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.uint8Array({ maxLength: 80 }), fc.array(tie('item'), { maxLength: 6 })),
})).item;

test('property: decode(encode(x)) = x for any item', () => {
  fc.assert(
    fc.property(itemArb, (item) => {
      assert.deepEqual(decodeRlp(encodeRlp(item)), item);
    }),
    { numRuns: 2000 },
  );
});

test('property: one value, one encoding — any accepted input re-encodes to itself', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      let item: RlpItem;
      try {
        item = decodeRlp(bytes);
      } catch (e) {
        assert.ok(isBadRequest(e), `non-ApplianceError on ${bytesToHex(bytes)}: ${String(e)}`);
        return;
      }
      assert.equal(bytesToHex(encodeRlp(item)), bytesToHex(bytes));
    }),
    { numRuns: 20_000 },
  );
});

test('property: mutated valid encodings only ever raise bad_request, or decode canonically', () => {
  const mutated = fc.tuple(itemArb.map(encodeRlp), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')).map(([enc, pos, byte, op]) => {
    const b = Array.from(enc);
    const i = b.length === 0 ? 0 : pos % b.length;
    if (op === 'set') b[i] = byte;
    else if (op === 'insert') b.splice(i, 0, byte);
    else b.splice(i, 1);
    return Uint8Array.from(b);
  });
  fc.assert(
    fc.property(mutated, (bytes) => {
      try {
        const item = decodeRlp(bytes);
        assert.equal(bytesToHex(encodeRlp(item)), bytesToHex(bytes));
      } catch (e) {
        assert.ok(isBadRequest(e), `non-ApplianceError on ${bytesToHex(bytes)}: ${String(e)}`);
      }
    }),
    { numRuns: 5000 },
  );
});

test('property: integers round-trip and encode minimally', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), (n) => {
      const b = encodeUint(n);
      assert.ok(b.length === 0 || b[0] !== 0);
      assert.equal(decodeUint(b, 'n'), n);
    }),
  );
});
