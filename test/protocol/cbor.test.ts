// Deterministic CBOR codec (protocol/cbor.ts, RFC 8949 §4.2.1): key order, integer boundaries,
// refusals with their codes, prototype safety, depth limit, and properties (round trip, strictness,
// fuzzing, and cbor2 as an independent oracle).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { decode as oracleDecode, encode as oracleEncode } from 'cbor2';
import { decodeCanonical, encodeCanonical, sha256Canonical, MAX_NESTING_DEPTH, type CborMap, type CborValue } from '../../protocol/cbor.js';
import { ApplianceError, type ErrorCode } from '../../protocol/errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const enc = (v: CborValue): string => hex(encodeCanonical(v));

function throwsCode(fn: () => unknown, code: ErrorCode, message?: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ApplianceError && e.code === code, message ?? `expected ApplianceError('${code}')`);
}

/** Decode must refuse `h` with `code`. */
function refuses(h: string, code: ErrorCode): void {
  throwsCode(() => decodeCanonical(unhex(h)), code, `${h} should be refused with ${code}`);
}

function nestedArrays(levels: number): CborValue {
  let v: CborValue = 0;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe('encoding', () => {
  test('RFC 8949 §4.2.1 key order: bytewise by encoded key', () => {
    // The example order from RFC 8949 §4.2.1: 10, 100, -1, "z", "aa", [100], [-1], false.
    const m = new Map<CborValue, CborValue>([
      [false, 8],
      [[-1], 7],
      ['aa', 5],
      [[100], 6],
      [-1, 3],
      ['z', 4],
      [100, 2],
      [10, 1],
    ]);
    assert.equal(enc(m), 'a8' + '0a01' + '186402' + '2003' + '617a04' + '6261610' + '5' + '81186406' + '812007' + 'f408');
    const back = decodeCanonical(encodeCanonical(m));
    assert.ok(back instanceof Map);
    assert.deepEqual([...back.keys()], [10, 100, -1, 'z', 'aa', [100], [-1], false]);
  });

  test('object keys: shorter first, then bytewise; independent of insertion and integer-like keys', () => {
    const o = { b: 1, aa: 2, '10': 3, a: 4, '9': 5, B: 6 };
    // "9" (0x39) < "B" (0x42) < "a" < "b" < "10" < "aa"
    assert.equal(enc(o), 'a6' + '613905' + '614206' + '616104' + '616201' + '62313003' + '62616102');
    assert.equal(enc({ '9': 5, aa: 2, a: 4, B: 6, '10': 3, b: 1 }), enc(o));
    // Non-ASCII keys go by UTF-8 bytes: "z" (7a) < "é" (c3a9, two bytes) < "\u{10000}" (four bytes).
    assert.equal(enc({ '\u{10000}': 3, é: 2, z: 1 }), 'a3' + '617a01' + '62c3a902' + '64f090808003');
    // UTF-16 order would put U+FF61 after U+10000 (0xd800 < 0xff61); UTF-8 byte order does not.
    assert.equal(enc({ '\u{10000}': 1, '\uff61': 0 }), 'a2' + '63efbda100' + '64f090808001');
    // A Map with only text keys encodes exactly like the object.
    assert.equal(enc(new Map<CborValue, CborValue>(Object.entries(o))), enc(o));
  });

  test('heads are shortest at every boundary', () => {
    const cases: [CborValue, string][] = [
      [0, '00'],
      [23, '17'],
      [24, '1818'],
      [255, '18ff'],
      [256, '190100'],
      [65535, '19ffff'],
      [65536, '1a00010000'],
      [2 ** 32 - 1, '1affffffff'],
      [2 ** 32, '1b0000000100000000'],
      [-1, '20'],
      [-24, '37'],
      [-25, '3818'],
      [-(2 ** 32), '3affffffff'],
      [-(2 ** 32) - 1, '3b0000000100000000'],
      [5n, '05'],
      [-5n, '24'],
      ['a'.repeat(23), '77' + '61'.repeat(23)],
      ['a'.repeat(24), '7818' + '61'.repeat(24)],
      [new Uint8Array(256), '590100' + '00'.repeat(256)],
      [new Array<CborValue>(24).fill(0), '9818' + '00'.repeat(24)],
    ];
    for (const [v, h] of cases) {
      assert.equal(enc(v), h);
      assert.equal(hex(encodeCanonical(decodeCanonical(unhex(h)))), h);
    }
  });

  test('bigint boundaries: 2^53, 2^64-1, 2^64, -2^64, -2^64-1', () => {
    const cases: [bigint, string, CborValue][] = [
      [2n ** 53n - 1n, '1b001fffffffffffff', Number.MAX_SAFE_INTEGER],
      [2n ** 53n, '1b0020000000000000', 2n ** 53n],
      [-(2n ** 53n) + 1n, '3b001ffffffffffffe', Number.MIN_SAFE_INTEGER],
      [-(2n ** 53n), '3b001fffffffffffff', -(2n ** 53n)],
      [2n ** 64n - 1n, '1bffffffffffffffff', 2n ** 64n - 1n],
      [2n ** 64n, 'c249010000000000000000', 2n ** 64n],
      [-(2n ** 64n), '3bffffffffffffffff', -(2n ** 64n)],
      [-(2n ** 64n) - 1n, 'c349010000000000000000', -(2n ** 64n) - 1n],
      [2n ** 72n - 1n, 'c249ffffffffffffffffff', 2n ** 72n - 1n],
      [-(2n ** 72n), 'c349ffffffffffffffffff', -(2n ** 72n)],
      [2n ** 72n, 'c24a01000000000000000000', 2n ** 72n],
    ];
    for (const [v, h, decoded] of cases) {
      assert.equal(enc(v), h, `encode ${v}`);
      assert.deepStrictEqual(decodeCanonical(unhex(h)), decoded, `decode ${h}`);
    }
    // Safe-range bigints and numbers give the same bytes; decode yields the number.
    assert.equal(enc(Number.MAX_SAFE_INTEGER), enc(2n ** 53n - 1n));
    assert.equal(typeof decodeCanonical(unhex('1b001fffffffffffff')), 'number');
    throwsCode(() => encodeCanonical(2 ** 53), 'bad_request'); // not a safe integer: use a bigint
    throwsCode(() => encodeCanonical(-(2 ** 53)), 'bad_request');
  });

  test('byte strings, text and simple values', () => {
    assert.equal(enc(new Uint8Array([1, 2, 3])), '43010203');
    assert.equal(enc(Buffer.from([1, 2, 3])), '43010203');
    assert.equal(enc(''), '60');
    assert.equal(enc('\u00fc\u6c34\u{10151}'), '69c3bce6b0b4f0908591');
    assert.equal(enc('\ufeffa'), '64efbbbf61'); // a leading BOM is content, kept both ways
    assert.equal(decodeCanonical(unhex('64efbbbf61')), '\ufeffa');
    assert.equal(enc(true), 'f5');
    assert.equal(enc(false), 'f4');
    assert.equal(enc(null), 'f6');
    assert.equal(enc([]), '80');
    assert.equal(enc({}), 'a0');
    assert.equal(enc(new Map()), 'a0');
    assert.equal(enc(Object.create(null) as CborMap), 'a0');
  });

  test('refuses values outside the data model with bad_request', () => {
    const bad: unknown[] = [
      1.5,
      NaN,
      Infinity,
      -Infinity,
      -0,
      2 ** 53,
      undefined,
      () => 1,
      Symbol('x'),
      new Date(0),
      new Uint16Array(2),
      new Uint8ClampedArray(2),
      new ArrayBuffer(2),
      new DataView(new ArrayBuffer(2)),
      new Set([1]),
      new (class Point {
        x = 1;
      })(),
      { a: undefined },
      { a: 1.5 },
      [1, undefined],
      new Array(2), // holes read as undefined
      'lone \ud800 surrogate',
      'trailing \udc00',
      '\ud800',
      new Map<CborValue, CborValue>([
        [1, 'a'],
        [1n, 'b'], // same encoding as 1: duplicate key
      ]),
      new Map<CborValue, CborValue>([
        [new Uint8Array([1]), 'a'],
        [new Uint8Array([1]), 'b'],
      ]),
    ];
    for (const v of bad) throwsCode(() => encodeCanonical(v as CborValue), 'bad_request', `refuses ${String(v)}`);
  });

  test('a getter that re-enters the encoder does not corrupt the outer encoding', () => {
    const o = {
      a: 1,
      get b(): CborValue {
        return hex(encodeCanonical({ x: 'y'.repeat(5000) })).length;
      },
    };
    assert.equal(enc(o), 'a2' + '616101' + '6162' + '19271c'); // 2 * (1 + 2 + 3 + 5000) = 10012 hex chars
  });

  test('sha256Canonical is SHA-256 of the canonical bytes and ignores insertion order', () => {
    const v = { to: unhex('00'.repeat(20)), value: 10n ** 20n, chain: 1, nonce: 7 };
    assert.deepEqual(sha256Canonical(v), sha256(encodeCanonical(v)));
    assert.deepEqual(sha256Canonical({ nonce: 7, chain: 1, value: 10n ** 20n, to: unhex('00'.repeat(20)) }), sha256Canonical(v));
    assert.notDeepEqual(sha256Canonical({ ...v, nonce: 8 }), sha256Canonical(v));
    assert.equal(sha256Canonical(v).length, 32);
  });
});

describe('strict decoding', () => {
  test('non-shortest heads, indefinite lengths, key order and bignum forms are non_canonical', () => {
    const cases = [
      '1817', // 23 in a 1-byte argument
      '190017',
      '19 00ff',
      '1a 0000ffff',
      '1b 00000000ffffffff',
      '3817', // -24 in a 1-byte argument
      '5801 00', // byte string length in a 1-byte argument
      '7801 61',
      '9801 00',
      'b801 6161 00',
      'd802 4a 01000000000000000000', // tag 2 with a 1-byte tag number
      '5f 4101 ff', // indefinite byte string
      '7f 6161 ff',
      '9f ff',
      '9f 01 ff',
      'bf ff',
      '82 01 9f ff',
      'a2 6162 01 6161 02', // "b" before "a"
      'a2 6161 01 6161 02', // duplicate
      'a2 6261 61 01 6162 02', // longer key first
      'a2 20 00 0a 00', // -1 (0x20) before 10 (0x0a)
      'a2 01 00 01 00', // duplicate integer keys
      'a2 8101 00 8101 00', // duplicate array keys
      'c2 41 01', // bignum that fits major type 0
      'c2 48 ffffffffffffffff',
      'c3 48 ffffffffffffffff', // -2^64 belongs in major type 1
      'c2 40', // zero as a bignum
      'c2 4a 00 0100000000000000 00', // leading zero byte
      'c3 4a 00 ff ff ff ff ff ff ff ff ff',
      'c2 5f 41 01 ff', // indefinite bignum content
    ];
    for (const h of cases) refuses(h, 'non_canonical');
  });

  test('malformed, truncated, trailing and unsupported input is bad_request', () => {
    const cases = [
      '', // nothing
      '18', // truncated argument
      '19 01',
      '1a 0001 00',
      '1b 0000 0001 0000 00',
      '42 01', // truncated byte string
      '62 61',
      '82 01',
      'a1 6161',
      'a1',
      'c2',
      'c2 49 01',
      '00 00', // trailing byte
      '80 00',
      'ff', // break without an indefinite item
      '1c', // reserved additional information 28..30
      '3d',
      '5e',
      'fe',
      '1f', // indefinite integer
      'df 00', // indefinite tag
      'f7', // undefined
      'f0', // simple(16)
      'f3',
      'f8 10', // simple < 32 in two bytes: malformed
      'f8 20',
      'f9 3c00', // floats
      'fa 3f800000',
      'fb 3ff0000000000000',
      'f9 00', // truncated float
      'c0 60', // tag 0
      'c1 00', // tag 1
      'c4 82 00 00', // decimal fraction
      'd8 18 40', // tag 24
      'd9 d9f7 00', // self-described CBOR
      'db ffffffffffffffff 00', // huge tag number
      'c2 61 61', // bignum over text
      'c2 c2 49 010000000000000000', // nested tags
      'c2 00',
      '62 c3 28', // invalid UTF-8
      '62 c0 80', // overlong NUL
      '63 eda080', // UTF-16 surrogate in UTF-8
      '64 f4908080', // above U+10FFFF
      '61 80', // lone continuation byte
      '61 ff',
      '9b 0000000100000000', // 2^32 items announced, none present
      '9b ffffffffffffffff',
      'bb ffffffffffffffff',
      '5b ffffffffffffffff',
      '7b ffffffffffffffff',
      '5b 0000000100000000 00',
      '9a ffffffff 00',
      'ba 7fffffff 00 00',
    ];
    for (const h of cases) refuses(h, 'bad_request');
  });

  test('non-Uint8Array input is bad_request', () => {
    for (const v of [null, undefined, 'a0', [0xa0], new ArrayBuffer(1), new Uint16Array(1)]) {
      throwsCode(() => decodeCanonical(v as unknown as Uint8Array), 'bad_request');
    }
  });

  test('integers decode to number when safe, bigint otherwise', () => {
    assert.deepStrictEqual(decodeCanonical(unhex('1b001fffffffffffff')), 2 ** 53 - 1);
    assert.deepStrictEqual(decodeCanonical(unhex('1b0020000000000000')), 2n ** 53n);
    assert.deepStrictEqual(decodeCanonical(unhex('3b001ffffffffffffe')), -(2 ** 53 - 1));
    assert.deepStrictEqual(decodeCanonical(unhex('3b001fffffffffffff')), -(2n ** 53n));
    assert.deepStrictEqual(decodeCanonical(unhex('3bffffffffffffffff')), -(2n ** 64n));
    assert.deepStrictEqual(decodeCanonical(unhex('1a ffffffff')), 2 ** 32 - 1);
    assert.deepStrictEqual(decodeCanonical(unhex('3a ffffffff')), -(2 ** 32));
  });

  test('byte strings decode to fresh plain Uint8Arrays, also from a pooled Buffer', () => {
    const input = Buffer.concat([Buffer.from('ff', 'hex'), Buffer.from('a2 6161 43 010203 6162 40'.replace(/ /g, ''), 'hex')]).subarray(1);
    assert.ok(input.byteOffset > 0 || input.buffer.byteLength > input.length);
    const v = decodeCanonical(input) as CborMap;
    const a = v.a as Uint8Array;
    assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype);
    assert.deepEqual([...a], [1, 2, 3]);
    input[4] = 0x99; // mutating the input afterwards does not change the decoded value
    assert.deepEqual([...a], [1, 2, 3]);
    assert.equal((v.b as Uint8Array).length, 0);
  });

  test('text-keyed maps decode to ordinary objects, other maps to Map', () => {
    const o = decodeCanonical(unhex('a2 6161 01 6162 820203'));
    assert.deepStrictEqual(o, { a: 1, b: [2, 3] });
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    const m = decodeCanonical(unhex('a2 01 02 6161 03'));
    assert.ok(m instanceof Map);
    assert.deepStrictEqual(
      m,
      new Map<CborValue, CborValue>([
        [1, 2],
        ['a', 3],
      ]),
    );
    assert.deepStrictEqual(decodeCanonical(unhex('a0')), {});
  });

  test('"__proto__" becomes an own property and never a prototype (no pollution)', () => {
    // {"__proto__": {"polluted": true}, "a": 1} in canonical order: "a" (1 byte) first.
    const bytes = encodeCanonical(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as CborValue);
    assert.equal(hex(bytes), 'a2' + '616101' + '695f5f70726f746f5f5f' + 'a168706f6c6c75746564f5');
    const v = decodeCanonical(bytes) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.ok(Object.hasOwn(v, '__proto__'));
    assert.deepEqual(Object.keys(v), ['a', '__proto__']);
    assert.equal(v.polluted, undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, { polluted: true });
    assert.equal(hex(encodeCanonical(v as CborValue)), hex(bytes)); // and it round-trips
    // Keys that shadow Object.prototype members are plain own data too.
    const w = decodeCanonical(encodeCanonical({ constructor: 1, toString: 2, hasOwnProperty: 3 })) as CborMap;
    assert.deepEqual(Object.keys(w).sort(), ['constructor', 'hasOwnProperty', 'toString']);
    assert.equal(w.toString, 2);
  });

  test(`nesting is limited to ${MAX_NESTING_DEPTH} levels both ways, without stack overflow`, () => {
    const ok = nestedArrays(MAX_NESTING_DEPTH);
    const okBytes = encodeCanonical(ok);
    assert.deepStrictEqual(decodeCanonical(okBytes), ok);
    throwsCode(() => encodeCanonical(nestedArrays(MAX_NESTING_DEPTH + 1)), 'bad_request');
    refuses('81'.repeat(MAX_NESTING_DEPTH + 1) + '00', 'bad_request');
    refuses('a16161'.repeat(MAX_NESTING_DEPTH + 1) + '00', 'bad_request');
    // Maps as keys count too.
    refuses('a1'.repeat(MAX_NESTING_DEPTH + 1) + '00'.repeat(MAX_NESTING_DEPTH + 2), 'bad_request');
    // Hostile depth far beyond the JS stack.
    refuses('81'.repeat(200_000) + '00', 'bad_request');
    refuses('9f'.repeat(200_000), 'non_canonical');
    // Cycles end at the depth limit instead of looping.
    const cyclic: CborValue[] = [];
    cyclic.push(cyclic);
    throwsCode(() => encodeCanonical(cyclic), 'bad_request');
    const self: CborMap = {};
    self.me = self;
    throwsCode(() => encodeCanonical(self), 'bad_request');
  });

  test('large but valid items decode', () => {
    const big = new Uint8Array(1 << 20).fill(7);
    assert.deepEqual(decodeCanonical(encodeCanonical(big)), big);
    const s = 'ü'.repeat(100_000);
    assert.equal(decodeCanonical(encodeCanonical(s)), s);
    const n = 2n ** 8000n + 12345n;
    assert.equal(decodeCanonical(encodeCanonical(n)), n);
    assert.equal(decodeCanonical(encodeCanonical(-n)), -n);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties

const scalar: fc.Arbitrary<CborValue> = fc.oneof(
  fc.integer({ min: -30, max: 30 }),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.constantFrom(2n ** 53n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), -(2n ** 64n) - 1n, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 32, -(2 ** 32) - 1),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ maxLength: 30 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.boolean(),
  fc.constant(null),
);

/** A stable identity for map keys, so generated Maps never hold two keys with the same encoding. */
function keyId(k: CborValue): string {
  if (typeof k === 'number' || typeof k === 'bigint') return `i${BigInt(k)}`;
  if (typeof k === 'string') return `s${JSON.stringify(k)}`;
  if (k instanceof Uint8Array) return `b${hex(k)}`;
  if (Array.isArray(k)) return `a[${k.map(keyId).join(',')}]`;
  return `v${String(k)}`;
}

const mapKey: fc.Arbitrary<CborValue> = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));

const { value: cborValue } = fc.letrec<{ value: CborValue; array: CborValue[]; object: CborMap; map: Map<CborValue, CborValue> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object'), tie('map')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', '10', '9', 'a')), tie('value'), { maxKeys: 6 }),
  map: fc.uniqueArray(fc.tuple(mapKey, tie('value')), { maxLength: 4, selector: ([k]) => keyId(k) }).map((entries) => new Map<CborValue, CborValue>(entries)),
}));

/** What a value decodes to: safe bigints become numbers, text-keyed maps become ordinary objects. */
function normalize(v: CborValue): CborValue {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  if (Array.isArray(v)) return v.map(normalize);
  const entries: [CborValue, CborValue][] = v instanceof Map ? [...v].map(([k, x]) => [normalize(k), normalize(x)]) : Object.keys(v).map((k) => [k, normalize(v[k]!)]);
  if (entries.every(([k]) => typeof k === 'string')) {
    const o: CborMap = {};
    for (const [k, x] of entries) Object.defineProperty(o, k as string, { value: x, writable: true, enumerable: true, configurable: true });
    return o;
  }
  return new Map(entries);
}

/** Decode must give a value or an ApplianceError; anything accepted must be exactly canonical. */
function checkStrict(bytes: Uint8Array): void {
  let v: CborValue;
  try {
    v = decodeCanonical(bytes);
  } catch (e) {
    if (!(e instanceof ApplianceError) || (e.code !== 'bad_request' && e.code !== 'non_canonical')) throw e;
    return;
  }
  assert.equal(hex(encodeCanonical(v)), hex(bytes));
}

describe('properties', () => {
  test('encode(decode(encode(x))) is identical, and decode gives the normalized value', () => {
    fc.assert(
      fc.property(cborValue, (x) => {
        const e1 = encodeCanonical(x);
        const d = decodeCanonical(e1);
        const e2 = encodeCanonical(d);
        assert.equal(hex(e2), hex(e1));
        assert.deepStrictEqual(d, normalize(x));
        assert.deepEqual(sha256Canonical(d), sha256Canonical(x));
      }),
      { numRuns: 2000 },
    );
  });

  test('the encoding does not depend on object key or Map insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 5 }), scalar), { maxLength: 8 }), (entries) => {
        const forward = Object.fromEntries(entries) as CborMap;
        const reversed = Object.fromEntries(Object.entries(forward).reverse()) as CborMap;
        assert.equal(enc(reversed), enc(forward));
        assert.equal(enc(new Map<CborValue, CborValue>(Object.entries(forward).reverse())), enc(forward));
      }),
    );
  });

  test('random bytes: a canonical value or an ApplianceError, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), checkStrict), { numRuns: 20_000 });
  });

  test('structured hostile bytes (interesting heads) never escape as another exception', () => {
    const heads = [0x18, 0x19, 0x1a, 0x1b, 0x3b, 0x5b, 0x5f, 0x7b, 0x7f, 0x9b, 0x9f, 0xbb, 0xbf, 0xc2, 0xc3, 0xd8, 0xff, 0x81, 0xa1, 0x61, 0xf5, 0x00];
    const byte = fc.oneof(fc.constantFrom(...heads), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 80 }), (bytes) => checkStrict(Uint8Array.from(bytes))),
      { numRuns: 20_000 },
    );
  });

  test('mutated canonical encodings are either still canonical or refused', () => {
    const mutation = fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'truncate'), fc.nat(), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(cborValue, fc.array(mutation, { minLength: 1, maxLength: 3 }), (x, mutations) => {
        const bytes = [...encodeCanonical(x)];
        for (const [kind, at, b] of mutations) {
          const i = bytes.length === 0 ? 0 : at % bytes.length;
          if (kind === 'set') bytes[i] = b;
          else if (kind === 'insert') bytes.splice(i, 0, b);
          else if (kind === 'delete') bytes.splice(i, 1);
          else bytes.length = i;
        }
        checkStrict(Uint8Array.from(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  // cbor2 as an independent, strict oracle, in its core deterministic encoding mode (RFC 8949 §4.2.1):
  // it sorts map keys itself and its decoder refuses non-preferred heads. The comparison uses values
  // both data models share: 32-bit integers, text, bytes, arrays, text-keyed objects (keys that look
  // like array indices are avoided, since JS would reorder them).
  const cde = { cde: true } as const;
  const utf8Order = (a: string, b: string): number => {
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    return x.length - y.length || Buffer.compare(x, y);
  };
  const plainKey = fc.string({ unit: 'binary', maxLength: 6 }).filter((k) => !/^(0|[1-9][0-9]*)$/.test(k) && k !== '__proto__');
  const { value: plainValue } = fc.letrec<{ value: CborValue; array: CborValue[]; object: CborMap }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.integer({ min: -(2 ** 32), max: 2 ** 32 - 1 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.uint8Array({ maxLength: 30 }),
      fc.boolean(),
      fc.constant(null),
      tie('array'),
      tie('object'),
    ),
    array: fc.array(tie('value'), { maxLength: 30 }),
    object: fc.uniqueArray(fc.tuple(plainKey, tie('value')), { maxLength: 30, selector: ([k]) => k }).map((entries) => {
      const o: CborMap = {};
      for (const [k, v] of entries.sort(([a], [b]) => utf8Order(a, b))) o[k] = v;
      return o;
    }),
  }));

  test('oracle: cbor2 (deterministic mode) writes the same bytes for canonically ordered plain values', () => {
    fc.assert(
      fc.property(plainValue, (x) => {
        assert.equal(enc(x), hex(oracleEncode(x, cde)));
      }),
      { numRuns: 2000 },
    );
  });

  test('oracle: cbor2 (deterministic mode) reads our bytes back as the same value', () => {
    const toPlain = (v: unknown): unknown =>
      v instanceof Uint8Array ? hex(v) : Array.isArray(v) ? v.map(toPlain) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)])) : v;
    fc.assert(
      fc.property(plainValue, (x) => {
        const bytes = encodeCanonical(x);
        assert.deepEqual(toPlain(oracleDecode(bytes, cde)), toPlain(decodeCanonical(bytes)));
      }),
      { numRuns: 2000 },
    );
  });
});
