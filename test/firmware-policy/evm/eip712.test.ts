// EIP-712 against ethers.js typed-data test cases (vectors/ethers/typed-data.json, 65 entries): our
// digest equals theirs, and our encodeData of the primary type (typeHash ‖ field words) equals their
// `encoded`; where a case carries a signature, it recovers to the address of its private key.
// Cross-checks against viem's hashTypedData, the EIP's own Mail example, and strict validation:
// every malformed input is ApplianceError('bad_request') naming the field, nothing else is thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { hashTypedData, type Hex } from 'viem';
import { ApplianceError } from '../../../protocol/errors.js';
import { domainFacts, encodeData, encodeType, hashDomain, hashStruct, typedDataDigest, type TypedData } from '../../../firmware-policy/evm/eip712.js';
import { readVectorJson } from '../../helpers/vectors.js';
import { TOKEN_DOMAIN_TYPE } from '../../helpers/typed-data-fixtures.js';

interface EthersTypedCase {
  name: string;
  domain: Record<string, unknown>;
  primaryType: string;
  types: Record<string, { name: string; type: string }[]>;
  data: Record<string, unknown>;
  encoded: string;
  digest: string;
  privateKey?: string;
  signature?: string;
}

const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;
const isBadRequest = (e: unknown): boolean => e instanceof ApplianceError && e.code === 'bad_request';
const fieldOf = (e: unknown): unknown => (e instanceof ApplianceError ? e.details?.['field'] : undefined);

function toTyped(c: EthersTypedCase): TypedData {
  return { types: c.types, primaryType: c.primaryType, domain: c.domain, message: c.data };
}

const cases = readVectorJson<EthersTypedCase[]>('ethers', 'typed-data.json');

test('typed-data.json: all 65 cases give their digest and their encoded data', () => {
  assert.equal(cases.length, 65);
  let signed = 0;
  for (const c of cases) {
    const td = toTyped(c);
    assert.equal(hex(typedDataDigest(td)), c.digest, `${c.name}: digest`);
    assert.equal(hex(encodeData(td, c.primaryType, c.data)), c.encoded, `${c.name}: encoded`);
    assert.equal(hex(hashStruct(td, c.primaryType, c.data)), hex(keccak_256(hexToBytes(c.encoded.slice(2)))), `${c.name}: hashStruct`);
    // The first word of encoded data is keccak256(encodeType(primaryType)).
    const typeHash = keccak_256(new TextEncoder().encode(encodeType(td, c.primaryType)));
    assert.equal(hex(typeHash), c.encoded.slice(0, 66), `${c.name}: encodeType`);
    if (c.privateKey !== undefined && c.signature !== undefined) {
      signed++;
      const sig = hexToBytes(c.signature.slice(2));
      const recovery = (sig[64] as number) - 27;
      const recovered = secp256k1.Signature.fromBytes(sig.slice(0, 64), 'compact').addRecoveryBit(recovery).recoverPublicKey(typedDataDigest(td)).toBytes(true);
      assert.equal(bytesToHex(recovered), bytesToHex(secp256k1.getPublicKey(hexToBytes(c.privateKey.slice(2)), true)), `${c.name}: signature`);
    }
  }
  assert.ok(signed >= 1, 'at least one case carries a signature');
});

test('typed-data.json: viem hashTypedData agrees on a sample of cases', () => {
  const sample = cases.filter((_, i) => i % 8 === 0 || cases[i]?.name === 'EIP712 example' || cases[i]?.name === 'Boundary values');
  assert.ok(sample.length >= 8);
  for (const c of sample) {
    const theirs = hashTypedData({ domain: c.domain, types: c.types, primaryType: c.primaryType, message: c.data } as never);
    assert.equal(hex(typedDataDigest(toTyped(c))), theirs, c.name);
  }
});

const mail: TypedData = {
  types: {
    EIP712Domain: TOKEN_DOMAIN_TYPE,
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person' },
      { name: 'contents', type: 'string' },
    ],
  },
  primaryType: 'Mail',
  domain: { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
  message: {
    from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
    to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
    contents: 'Hello, Bob!',
  },
};

test('EIP-712 example (Mail): encodeType, domain separator, struct hash and digest from the EIP', () => {
  assert.equal(encodeType(mail, 'Mail'), 'Mail(Person from,Person to,string contents)Person(string name,address wallet)');
  assert.equal(hex(hashDomain(mail)), '0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f');
  assert.equal(hex(hashStruct(mail, 'Mail', mail.message)), '0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e');
  assert.equal(hex(typedDataDigest(mail)), '0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2');
  // The same with EIP712Domain inferred from the domain's keys.
  const { EIP712Domain: _, ...withoutDomain } = mail.types;
  assert.equal(hex(typedDataDigest({ ...mail, types: withoutDomain })), hex(typedDataDigest(mail)));
  const facts = domainFacts(mail);
  assert.equal(facts.chainId, 1n);
  assert.equal(facts.name, 'Ether Mail');
  assert.equal(hex(facts.verifyingContract as Uint8Array), '0xcccccccccccccccccccccccccccccccccccccccc');
  assert.deepEqual(domainFacts({ ...mail, types: { X: [] }, primaryType: 'X', domain: {}, message: {} }), {
    chainId: null,
    verifyingContract: null,
    name: null,
  });
});

test('encodeType sorts referenced structs by name and follows arrays and recursion', () => {
  const td: TypedData = {
    types: {
      Z: [
        { name: 'b', type: 'B[2]' },
        { name: 'a', type: 'A[]' },
        { name: 'self', type: 'Z[]' },
      ],
      A: [{ name: 'x', type: 'uint8' }],
      B: [{ name: 'a', type: 'A' }],
    },
    primaryType: 'Z',
    domain: {},
    message: { b: [{ a: { x: 1 } }, { a: { x: 2 } }], a: [], self: [{ b: [{ a: { x: 3 } }, { a: { x: 4 } }], a: [{ x: '0x5' }], self: [] }] },
  };
  assert.equal(encodeType(td, 'Z'), 'Z(B[2] b,A[] a,Z[] self)A(uint8 x)B(A a)');
  assert.equal(hex(typedDataDigest(td)), hashTypedData({ domain: {}, types: td.types, primaryType: 'Z', message: td.message } as never));
});

test('integers: numbers, decimal and hex strings and bigints mean the same; ranges are enforced', () => {
  const td = (v: unknown, type = 'uint256'): TypedData => ({ types: { T: [{ name: 'v', type }] }, primaryType: 'T', domain: { chainId: 1 }, message: { v } });
  const ref = hex(typedDataDigest(td(255)));
  for (const v of ['255', '0xff', '0xFF', 255n]) assert.equal(hex(typedDataDigest(td(v))), ref, String(v));
  assert.equal(hex(typedDataDigest(td(-1, 'int8'))), hex(typedDataDigest(td('-1', 'int8'))));
  const rejected: [unknown, string][] = [
    ['0x00ff', 'uint256'], // leading zeros: one canonical form per integer (issue 11 item 13)
    ['0255', 'uint256'],
    ['-01', 'int8'],
    [256, 'uint8'],
    [-1, 'uint256'],
    [128, 'int8'],
    [-129, 'int8'],
    [1.5, 'uint256'],
    [2 ** 60, 'uint256'],
    [Number.NaN, 'uint256'],
    ['', 'uint256'],
    ['1e3', 'uint256'],
    [' 1', 'uint256'],
    ['-0x1', 'int256'],
    ['0x', 'uint256'],
    [true, 'uint256'],
    [null, 'uint256'],
    [`0x1${'0'.repeat(64)}`, 'uint256'],
    [(1n << 256n).toString(), 'uint256'],
  ];
  for (const [v, type] of rejected) {
    assert.throws(
      () => typedDataDigest(td(v, type)),
      (e) => isBadRequest(e) && fieldOf(e) === 'message.v',
      `${String(v)} as ${type}`,
    );
  }
});

test('bytes, bytesN, address, bool and string are checked strictly', () => {
  const td = (v: unknown, type: string): TypedData => ({ types: { T: [{ name: 'v', type }] }, primaryType: 'T', domain: {}, message: { v } });
  const ok: [unknown, string][] = [
    ['0x', 'bytes'],
    ['0x0102', 'bytes'],
    [Uint8Array.of(1, 2), 'bytes'],
    ['0x01020304', 'bytes4'],
    ['0xcccccccccccccccccccccccccccccccccccccccc', 'address'],
    ['0xCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC', 'address'],
    ['0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC', 'address'],
    [false, 'bool'],
    ['h\u00e9llo \u{1f680}', 'string'],
  ];
  for (const [v, type] of ok) typedDataDigest(td(v, type));
  const bad: [unknown, string][] = [
    ['0x1', 'bytes'],
    ['0102', 'bytes'],
    ['0x010203', 'bytes4'],
    ['0x0102030405', 'bytes4'],
    ['0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccc', 'address'], // broken checksum
    ['0xcccccccccccccccccccccccccccccccccccccc', 'address'],
    [new Uint8Array(19), 'address'],
    [1, 'bool'],
    ['true', 'bool'],
    ['\ud800', 'string'],
    [42, 'string'],
    [{}, 'bytes32'],
  ];
  for (const [v, type] of bad)
    assert.throws(
      () => typedDataDigest(td(v, type)),
      (e) => isBadRequest(e) && fieldOf(e) === 'message.v',
      `${String(v)} as ${type}`,
    );
});

test('structure: missing, extra and mistyped fields, arrays and domains are refused, naming the field', () => {
  const base: TypedData = {
    types: { Item: [{ name: 'n', type: 'uint8' }], Box: [{ name: 'items', type: 'Item[2]' }] },
    primaryType: 'Box',
    domain: { name: 'x', chainId: '0x1' },
    message: { items: [{ n: 1 }, { n: 2 }] },
  };
  typedDataDigest(base);
  const refused: [Partial<TypedData> | Record<string, unknown>, string][] = [
    [{ message: { items: [{ n: 1 }] } }, 'message.items'],
    [{ message: { items: [{ n: 1 }, {}] } }, 'message.items[1].n'],
    [{ message: { items: [{ n: 1 }, { n: 2, m: 3 }] } }, 'message.items[1].m'],
    [{ message: { items: [{ n: 1 }, { n: 2 }], extra: 1 } }, 'message.extra'],
    [{ message: { items: { 0: { n: 1 }, 1: { n: 2 } } } }, 'message.items'],
    [{ message: {} }, 'message.items'],
    [{ domain: { name: 'x', chainId: 1, foo: 'bar' } }, 'domain.foo'],
    [{ domain: { name: 7 } }, 'domain.name'],
    [{ domain: { verifyingContract: '0x00' } }, 'domain.verifyingContract'],
    [{ domain: { salt: '0x01' } }, 'domain.salt'],
    [{ primaryType: 'Nope' }, 'primaryType'],
    [{ primaryType: 'EIP712Domain' }, 'primaryType'],
    [{ primaryType: 'toString' }, 'primaryType'],
    [{ types: { Box: [{ name: 'items', type: 'Missing[2]' }] } }, 'types.Box[0].type'],
    [{ types: { Item: [{ name: 'n', type: 'uint7' }], Box: [{ name: 'items', type: 'Item[2]' }] } }, 'types.Item[0].type'],
    [{ types: { Item: [{ name: 'n', type: 'uint8' }], Box: [{ name: 'items', type: 'Item[0]' }] } }, 'types.Box[0].type'],
    [{ types: { Item: [{ name: 'n', type: 'uint8' }], Box: [{ name: 'items', type: 'Item[02]' }] } }, 'types.Box[0].type'],
    [
      {
        types: {
          Item: [
            { name: 'n', type: 'uint8' },
            { name: 'n', type: 'uint8' },
          ],
          Box: [],
        },
      },
      'types.Item[1].name',
    ],
    [{ types: { Item: [{ name: 'a b', type: 'uint8' }], Box: [] } }, 'types.Item[0].name'],
    [{ types: { 'Item(uint8 x)': [], Box: [] } }, 'types.Item(uint8 x)'],
    [{ types: { uint256: [], Box: [] } }, 'types.uint256'],
    [{ types: { Item: 'uint8', Box: [] } }, 'types.Item'],
    [{ types: { ...{ Item: [{ name: 'n', type: 'uint8' }], Box: [{ name: 'items', type: 'Item[2]' }] }, EIP712Domain: [{ name: 'name', type: 'bytes32' }] } }, 'types.EIP712Domain[0]'],
    [{ types: { ...{ Item: [{ name: 'n', type: 'uint8' }], Box: [{ name: 'items', type: 'Item[2]' }] }, EIP712Domain: [{ name: 'owner', type: 'address' }] } }, 'types.EIP712Domain[0]'],
  ];
  for (const [patch, field] of refused) {
    const td = { ...base, ...patch } as TypedData;
    assert.throws(
      () => typedDataDigest(td),
      (e) => isBadRequest(e) && fieldOf(e) === field,
      `${JSON.stringify(patch)} → ${field}`,
    );
  }
  for (const td of [null, 1, 'x', [], {}, { ...base, types: null }, { ...base, message: [] }, { ...base, domain: 'd' }, { ...base, primaryType: 1 }]) {
    assert.throws(() => typedDataDigest(td as unknown as TypedData), isBadRequest);
  }
});

test('hostile nesting and cycles end in bad_request, not a stack overflow', () => {
  const types = { Node: [{ name: 'next', type: 'Node[]' }] };
  let deep: Record<string, unknown> = { next: [] };
  for (let i = 0; i < 10_000; i++) deep = { next: [deep] };
  const namesField = (e: unknown): boolean => isBadRequest(e) && typeof fieldOf(e) === 'string';
  assert.throws(() => typedDataDigest({ types, primaryType: 'Node', domain: {}, message: deep }), namesField);
  const cyclic: Record<string, unknown> = { next: [] };
  (cyclic['next'] as unknown[]).push(cyclic);
  assert.throws(() => typedDataDigest({ types, primaryType: 'Node', domain: {}, message: cyclic }), namesField);
  // A type with 5000 array dimensions parses without recursion; a value that deep is refused.
  const nestedArray = `uint8${'[]'.repeat(5000)}`;
  const nested = (v: unknown): TypedData => ({ types: { T: [{ name: 'v', type: nestedArray }] }, primaryType: 'T', domain: {}, message: { v } });
  typedDataDigest(nested([]));
  let deepArray: unknown[] = [];
  for (let i = 0; i < 200; i++) deepArray = [deepArray];
  assert.throws(() => typedDataDigest(nested(deepArray)), namesField);
  // A long chain of struct types is fine for encodeType (no recursion over types).
  const chain: Record<string, { name: string; type: string }[]> = {};
  for (let i = 0; i < 5000; i++) chain[`S${i}`] = [{ name: 'x', type: i === 4999 ? 'uint8' : `S${i + 1}` }];
  assert.ok(encodeType({ types: chain, primaryType: 'S0', domain: {}, message: {} }, 'S0').startsWith('S0(S1 x)S1(S2 x)S10(S11 x)'));
});

test('fuzz: arbitrary JSON-like typed data only ever throws bad_request', () => {
  const typeName = fc.constantFrom('uint8', 'int16', 'uint256', 'bool', 'address', 'bytes', 'bytes4', 'string', 'S', 'S[]', 'S[2]', 'uint8[][1]', 'Bad', 'T', 'int', '');
  const fields = fc.array(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'x y', ''), type: typeName }), { maxLength: 4 });
  const value = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('0x', '0x00', '0xcccccccccccccccccccccccccccccccccccccccc', '0x01020304', '-1', '255', 1n, Number.MAX_VALUE));
  const message = fc.dictionary(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor'), value, { maxKeys: 4 });
  const td = fc.record({
    types: fc.dictionary(fc.constantFrom('S', 'T', 'EIP712Domain', 'toString', 'uint8'), fields, { maxKeys: 3 }),
    primaryType: fc.constantFrom('S', 'T', 'EIP712Domain', 'toString', '__proto__'),
    domain: fc.dictionary(fc.constantFrom('name', 'version', 'chainId', 'verifyingContract', 'salt', 'other'), value, { maxKeys: 3 }),
    message,
  });
  fc.assert(
    fc.property(td, (t) => {
      for (const fn of [typedDataDigest, hashDomain, domainFacts]) {
        try {
          fn(t as unknown as TypedData);
        } catch (e) {
          if (!isBadRequest(e)) throw e;
        }
      }
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.anything(), (t) => {
      try {
        typedDataDigest(t as TypedData);
      } catch (e) {
        if (!isBadRequest(e)) throw e;
      }
    }),
    { numRuns: 1000 },
  );
});

test('typedDataDigest agrees with viem on random well-formed messages', () => {
  const types = {
    Inner: [
      { name: 'who', type: 'address' },
      { name: 'tags', type: 'bytes3[]' },
    ],
    Outer: [
      { name: 'n', type: 'int40' },
      { name: 'u', type: 'uint256' },
      { name: 's', type: 'string' },
      { name: 'b', type: 'bytes' },
      { name: 'f', type: 'bool' },
      { name: 'inner', type: 'Inner[2]' },
    ],
  };
  const addr = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => hex(b));
  const inner = fc.record({
    who: addr,
    tags: fc.array(
      fc.uint8Array({ minLength: 3, maxLength: 3 }).map((b) => hex(b)),
      { maxLength: 3 },
    ),
  });
  const msg = fc.record({
    n: fc.bigInt({ min: -(1n << 39n), max: (1n << 39n) - 1n }),
    u: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
    s: fc.string({ unit: 'grapheme' }),
    b: fc.uint8Array({ maxLength: 40 }).map((b) => hex(b)),
    f: fc.boolean(),
    inner: fc.tuple(inner, inner),
  });
  const domain = fc.record({ name: fc.string(), chainId: fc.bigInt({ min: 1n, max: 1n << 64n }), salt: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hex(b)) });
  fc.assert(
    fc.property(msg, domain, (m, d) => {
      const ours = hex(typedDataDigest({ types, primaryType: 'Outer', domain: d, message: m }));
      const theirs = hashTypedData({ types, primaryType: 'Outer', domain: { ...d, salt: d.salt as Hex }, message: m as never });
      assert.equal(ours, theirs);
    }),
    { numRuns: 200 },
  );
});
