// EVM transactions: round trips (fast-check), viem as an independent second implementation,
// field bounds, decoder strictness and fuzzing (hostile bytes only ever raise bad_request), and
// the secp256k1 helpers (normalizeSignature with high-s input, addresses, EIP-55).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTransaction, serializeTransaction, checksumAddress, type Hex, type TransactionSerializable } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ApplianceError, type ErrorCode } from '../../../protocol/errors.js';
import { encodeRlp, type RlpItem } from '../../../firmware-policy/evm/rlp.js';
import {
  SECP256K1_ORDER,
  decodeSigned,
  decodeUnsigned,
  serializeSigned,
  serializeUnsigned,
  signingDigest,
  transactionHash,
  validateTx,
  type AccessListEntry,
  type EvmTx,
  type TxSignature,
} from '../../../firmware-policy/evm/transaction.js';
import { addressFromPublicKey, normalizeSignature, toChecksumAddress } from '../../../firmware-policy/evm/secp256k1-signature.js';

const N = SECP256K1_ORDER;
const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

const isCode =
  (code: ErrorCode, message?: RegExp) =>
  (e: unknown): boolean =>
    e instanceof ApplianceError && e.code === code && (message === undefined || message.test(e.message));
const badRequest = (message?: RegExp) => isCode('bad_request', message);

// ---------------------------------------------------------------------------------------------
// Arbitraries

interface Limits {
  uint: bigint;
  nonce: bigint;
  chainId: bigint;
}
const FULL: Limits = { uint: MAX_UINT256, nonce: MAX_UINT64, chainId: MAX_UINT256 };
/** viem keeps nonce and chainId as JS numbers. */
const VIEM: Limits = { uint: MAX_UINT256, nonce: BigInt(Number.MAX_SAFE_INTEGER), chainId: BigInt(Number.MAX_SAFE_INTEGER) };

const uint = (max: bigint) => fc.oneof(fc.constantFrom(0n, 1n, 127n, 128n, 255n, 256n, max), fc.bigInt({ min: 0n, max: 1n << 64n > max ? max : 1n << 64n }), fc.bigInt({ min: 0n, max }));
/** fast-check records have a null prototype; deepStrictEqual compares prototypes. */
const plain = <T extends object>(r: T): T => ({ ...r });
const bytesN = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const toArb = fc.option(bytesN(20), { nil: null, freq: 4 });
const dataArb = fc.uint8Array({ maxLength: 120 });
const accessListArb: fc.Arbitrary<AccessListEntry[]> = fc.array(fc.record({ address: bytesN(20), storageKeys: fc.array(bytesN(32), { maxLength: 3 }) }).map(plain), { maxLength: 3 });

function txArb(l: Limits): fc.Arbitrary<EvmTx> {
  const chainId = fc.oneof(fc.bigInt({ min: 1n, max: 100_000n }), fc.bigInt({ min: 1n, max: l.chainId }));
  const common = {
    nonce: uint(l.nonce),
    gasLimit: uint(l.nonce < MAX_UINT64 ? l.nonce : MAX_UINT64),
    to: toArb,
    value: uint(l.uint),
    data: dataArb,
  };
  const legacy = fc.record({
    type: fc.constant('legacy' as const),
    chainId: fc.option(
      // v = chainId·2 + 36 must fit in 256 bits
      chainId.map((c) => (c > (MAX_UINT256 - 36n) / 2n ? c / 4n + 1n : c)),
      { nil: null },
    ),
    gasPrice: uint(l.uint),
    ...common,
  });
  const eip2930 = fc.record({ type: fc.constant('eip2930' as const), chainId, gasPrice: uint(l.uint), ...common, accessList: accessListArb });
  const eip1559 = fc.record({
    type: fc.constant('eip1559' as const),
    chainId,
    maxPriorityFeePerGas: uint(l.uint),
    maxFeePerGas: uint(l.uint),
    ...common,
    accessList: accessListArb,
  });
  return fc.oneof(legacy.map(plain), eip2930.map(plain), eip1559.map(plain));
}

const sigArb: fc.Arbitrary<TxSignature> = fc
  .record({
    r: fc.oneof(fc.constantFrom(1n, N - 1n), fc.bigInt({ min: 1n, max: N - 1n })),
    s: fc.oneof(fc.constantFrom(1n, N >> 1n), fc.bigInt({ min: 1n, max: N >> 1n })),
    yParity: fc.constantFrom(0 as const, 1 as const),
  })
  .map(plain);

// ---------------------------------------------------------------------------------------------
// Round trips

test('property: decodeUnsigned(serializeUnsigned(tx)) = tx, and the digest is keccak of it', () => {
  fc.assert(
    fc.property(txArb(FULL), (tx) => {
      const bytes = serializeUnsigned(tx);
      assert.deepEqual(decodeUnsigned(bytes), tx);
      assert.deepEqual(signingDigest(tx), keccak_256(bytes));
      assert.deepEqual(serializeUnsigned(tx), bytes, 'same input, same output');
    }),
    { numRuns: 1000 },
  );
});

test('property: decodeSigned(serializeSigned(tx, sig)) = {tx, sig}, and the hash is keccak of it', () => {
  fc.assert(
    fc.property(txArb(FULL), sigArb, (tx, signature) => {
      const bytes = serializeSigned(tx, signature);
      assert.deepEqual(decodeSigned(bytes), { tx, signature });
      assert.deepEqual(transactionHash(bytes), keccak_256(bytes));
      // an unsigned decoder never takes a signed transaction, and vice versa
      assert.throws(() => decodeUnsigned(bytes), badRequest());
      assert.throws(() => decodeSigned(serializeUnsigned(tx)), badRequest());
    }),
    { numRuns: 1000 },
  );
});

// ---------------------------------------------------------------------------------------------
// viem cross-check

const hx = (b: Uint8Array): Hex => `0x${bytesToHex(b)}`;

function toViem(tx: EvmTx): TransactionSerializable {
  const common = { nonce: Number(tx.nonce), gas: tx.gasLimit, to: tx.to === null ? null : hx(tx.to), value: tx.value, data: hx(tx.data) };
  switch (tx.type) {
    case 'legacy':
      return { type: 'legacy', ...(tx.chainId === null ? {} : { chainId: Number(tx.chainId) }), gasPrice: tx.gasPrice, ...common };
    case 'eip2930':
      return { type: 'eip2930', chainId: Number(tx.chainId), gasPrice: tx.gasPrice, ...common, accessList: viemAccessList(tx.accessList) };
    case 'eip1559':
      return {
        type: 'eip1559',
        chainId: Number(tx.chainId),
        maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
        maxFeePerGas: tx.maxFeePerGas,
        ...common,
        accessList: viemAccessList(tx.accessList),
      };
  }
}

function viemAccessList(list: AccessListEntry[]): { address: Hex; storageKeys: Hex[] }[] {
  return list.map((e) => ({ address: hx(e.address), storageKeys: e.storageKeys.map(hx) }));
}

const viemSig = (sig: TxSignature) => ({
  r: `0x${sig.r.toString(16).padStart(64, '0')}` as Hex,
  s: `0x${sig.s.toString(16).padStart(64, '0')}` as Hex,
  v: 27n + BigInt(sig.yParity),
  yParity: sig.yParity,
});

const fromHex = (h: string | undefined | null): Uint8Array => (h ? hexToBytes(h.slice(2)) : new Uint8Array(0));

/** What viem's parser reports, in our terms (viem drops zero fields and empty data). */
function viemParsedAsOurs(bytes: Uint8Array): { tx: EvmTx; signature?: TxSignature } {
  const p = parseTransaction(hx(bytes)) as Record<string, unknown>;
  const n = (k: string): bigint => BigInt((p[k] as bigint | number | undefined) ?? 0);
  const to = p.to ? fromHex(p.to as string) : null;
  const data = fromHex(p.data as string | undefined);
  const accessList = ((p.accessList as { address: string; storageKeys: string[] }[] | undefined) ?? []).map((e) => ({
    address: fromHex(e.address),
    storageKeys: e.storageKeys.map(fromHex),
  }));
  const common = { nonce: n('nonce'), gasLimit: n('gas'), to, value: n('value'), data };
  let tx: EvmTx;
  if (p.type === 'legacy') tx = { type: 'legacy', chainId: p.chainId === undefined ? null : n('chainId'), gasPrice: n('gasPrice'), ...common };
  else if (p.type === 'eip2930') tx = { type: 'eip2930', chainId: n('chainId'), gasPrice: n('gasPrice'), ...common, accessList };
  else if (p.type === 'eip1559') {
    tx = { type: 'eip1559', chainId: n('chainId'), maxPriorityFeePerGas: n('maxPriorityFeePerGas'), maxFeePerGas: n('maxFeePerGas'), ...common, accessList };
  } else throw new Error(`viem parsed type ${String(p.type)}`);
  if (p.r === undefined) return { tx };
  const yParity = p.yParity === 1 ? 1 : 0;
  return { tx, signature: { r: BigInt(p.r as string), s: BigInt(p.s as string), yParity } };
}

const addr = (fill: number): Uint8Array => new Uint8Array(20).fill(fill);
const FIXED: EvmTx[] = [
  { type: 'legacy', chainId: null, nonce: 0n, gasPrice: 20_000_000_000n, gasLimit: 21_000n, to: addr(0x35), value: 10n ** 18n, data: new Uint8Array(0) },
  { type: 'legacy', chainId: 1n, nonce: 9n, gasPrice: 20_000_000_000n, gasLimit: 21_000n, to: addr(0x35), value: 10n ** 18n, data: new Uint8Array(0) },
  { type: 'legacy', chainId: 31337n, nonce: 300n, gasPrice: 1n, gasLimit: 3_000_000n, to: null, value: 0n, data: hexToBytes('6080604052') },
  {
    type: 'eip2930',
    chainId: 11155111n,
    nonce: 1n,
    gasPrice: 7n,
    gasLimit: 50_000n,
    to: addr(0xab),
    value: 0n,
    data: hexToBytes('a9059cbb'),
    accessList: [
      { address: addr(0x01), storageKeys: [new Uint8Array(32), new Uint8Array(32).fill(0xff)] },
      { address: addr(0x02), storageKeys: [] },
    ],
  },
  { type: 'eip2930', chainId: 1n, nonce: 0n, gasPrice: 0n, gasLimit: 0n, to: null, value: MAX_UINT256, data: new Uint8Array(0), accessList: [] },
  {
    type: 'eip1559',
    chainId: 1n,
    nonce: 42n,
    maxPriorityFeePerGas: 1_500_000_000n,
    maxFeePerGas: 30_000_000_000n,
    gasLimit: 21_000n,
    to: addr(0x70),
    value: 123_456_789n,
    data: new Uint8Array(0),
    accessList: [],
  },
  {
    type: 'eip1559',
    chainId: 8453n,
    nonce: 2n ** 32n,
    maxPriorityFeePerGas: 0n,
    maxFeePerGas: MAX_UINT256,
    gasLimit: MAX_UINT64,
    to: addr(0x00),
    value: 1n,
    data: new Uint8Array(300).fill(0x42),
    accessList: [{ address: addr(0x99), storageKeys: [new Uint8Array(32).fill(1)] }],
  },
];

test('viem: fixed transactions of each type serialise identically and parse to the same fields', () => {
  const sig: TxSignature = { r: 0x1234n, s: (N >> 1n) - 5n, yParity: 1 };
  for (const tx of FIXED) {
    const ours = serializeUnsigned(tx);
    assert.equal(bytesToHex(ours), bytesToHex(fromHex(serializeTransaction(toViem(tx)))), `${tx.type}: unsigned`);
    assert.deepEqual(viemParsedAsOurs(ours).tx, tx, `${tx.type}: viem parses our unsigned bytes`);
    const signed = serializeSigned(tx, sig);
    const theirs = fromHex(serializeTransaction(toViem(tx), viemSig(sig)));
    assert.equal(bytesToHex(signed), bytesToHex(theirs), `${tx.type}: signed`);
    assert.deepEqual(viemParsedAsOurs(signed), { tx, signature: sig }, `${tx.type}: viem parses our signed bytes`);
    assert.deepEqual(decodeSigned(theirs), { tx, signature: sig }, `${tx.type}: we decode viem's bytes`);
  }
  const types = new Set(FIXED.map((t) => t.type));
  assert.equal(types.size, 3);
});

test('property (viem): random transactions serialise identically, signed and unsigned', () => {
  fc.assert(
    // viem refuses maxPriorityFeePerGas > maxFeePerGas (a fee-market rule we leave to the chain)
    fc.property(
      txArb(VIEM).filter((tx) => tx.type !== 'eip1559' || tx.maxPriorityFeePerGas <= tx.maxFeePerGas),
      sigArb,
      (tx, sig) => {
        assert.equal(bytesToHex(serializeUnsigned(tx)), bytesToHex(fromHex(serializeTransaction(toViem(tx)))));
        const theirs = fromHex(serializeTransaction(toViem(tx), viemSig(sig)));
        assert.equal(bytesToHex(serializeSigned(tx, sig)), bytesToHex(theirs));
        assert.deepEqual(decodeSigned(theirs), { tx, signature: sig });
      },
    ),
    { numRuns: 300 },
  );
});

// ---------------------------------------------------------------------------------------------
// Field bounds and decoder strictness

const base: Extract<EvmTx, { type: 'eip1559' }> = FIXED[5] as Extract<EvmTx, { type: 'eip1559' }>;
const baseLegacy: Extract<EvmTx, { type: 'legacy' }> = FIXED[1] as Extract<EvmTx, { type: 'legacy' }>;

test('validateTx: every bound names its field', () => {
  const cases: [string, EvmTx, RegExp][] = [
    ['nonce 2^64', { ...base, nonce: 1n << 64n }, /^"nonce" exceeds 2\^64-1/],
    ['gasLimit 2^64', { ...base, gasLimit: 1n << 64n }, /^"gasLimit" exceeds 2\^64-1/],
    ['value 2^256', { ...base, value: 1n << 256n }, /^"value" exceeds 2\^256-1/],
    ['maxFeePerGas 2^256', { ...base, maxFeePerGas: 1n << 256n }, /^"maxFeePerGas" exceeds/],
    ['negative value', { ...base, value: -1n }, /^"value" is negative/],
    ['number nonce', { ...base, nonce: 1 as unknown as bigint }, /^"nonce" must be a bigint/],
    ['to 19 bytes', { ...base, to: new Uint8Array(19) }, /^"to" must be 20 bytes, got 19/],
    ['data not bytes', { ...base, data: [] as unknown as Uint8Array }, /^"data" must be bytes/],
    ['typed chainId 0', { ...base, chainId: 0n }, /^"chainId" must be positive/],
    ['legacy chainId 0', { ...baseLegacy, chainId: 0n }, /^"chainId" must be positive/],
    ['legacy chainId too big for v', { ...baseLegacy, chainId: 1n << 255n }, /^"chainId" exceeds/],
    ['storage key 31 bytes', { ...base, accessList: [{ address: addr(1), storageKeys: [new Uint8Array(31)] }] }, /^"accessList\[0\]\.storageKeys\[0\]" must be 32 bytes/],
    ['access-list address 21 bytes', { ...base, accessList: [{ address: new Uint8Array(21), storageKeys: [] }] }, /^"accessList\[0\]\.address" must be 20 bytes/],
    ['unknown type', { ...base, type: 'eip4844' } as unknown as EvmTx, /unsupported transaction type/],
  ];
  for (const [name, tx, message] of cases) assert.throws(() => validateTx(tx), badRequest(message), name);
  assert.doesNotThrow(() => validateTx({ ...base, nonce: MAX_UINT64, gasLimit: MAX_UINT64, value: MAX_UINT256 }));
});

test('serializers refuse what cannot be encoded, but encode chainId 0 and 64-bit overflows for vectors', () => {
  assert.throws(() => serializeUnsigned({ ...base, value: 1n << 256n }), badRequest(/"value"/));
  assert.throws(() => serializeUnsigned({ ...base, to: new Uint8Array(21) }), badRequest(/"to"/));
  assert.doesNotThrow(() => serializeUnsigned({ ...base, chainId: 0n }));
  // ...which the decoder then refuses: a signer must validate before signing.
  assert.throws(() => decodeUnsigned(serializeUnsigned({ ...base, chainId: 0n })), badRequest(/"chainId" must be positive/));
  assert.throws(() => decodeUnsigned(serializeUnsigned({ ...base, nonce: 1n << 64n })), badRequest(/"nonce" exceeds 2\^64-1/));
});

test('serializeSigned refuses out-of-range and high-s signatures (EIP-2)', () => {
  const ok: TxSignature = { r: 1n, s: 1n, yParity: 0 };
  assert.doesNotThrow(() => serializeSigned(base, ok));
  assert.throws(() => serializeSigned(base, { ...ok, r: 0n }), badRequest(/^"r" is out of range/));
  assert.throws(() => serializeSigned(base, { ...ok, r: N }), badRequest(/^"r" is out of range/));
  assert.throws(() => serializeSigned(base, { ...ok, s: (N >> 1n) + 1n }), badRequest(/^"s" is above n\/2/));
  assert.throws(() => serializeSigned(base, { ...ok, yParity: 2 as 0 }), badRequest(/^"yParity" must be 0 or 1/));
});

/** Builds a signed EIP-1559 transaction with the given raw RLP fields. */
const raw1559 = (fields: RlpItem[]): Uint8Array => Uint8Array.from([0x02, ...encodeRlp(fields)]);
const u = (hex: string): Uint8Array => hexToBytes(hex);

test('decoders: minimal integers, field counts, envelopes and signature values', () => {
  const good: RlpItem[] = [u('01'), u('2a'), u('01'), u('02'), u('5208'), addr(7), u(''), u(''), [], u('01'), u('01'), u('01')];
  assert.doesNotThrow(() => decodeSigned(raw1559(good)));
  const withField = (i: number, v: RlpItem): RlpItem[] => good.map((f, j) => (j === i ? v : f));
  assert.throws(() => decodeSigned(raw1559(withField(1, u('002a')))), badRequest(/^"nonce" has a leading zero byte/));
  assert.throws(() => decodeSigned(raw1559(withField(1, u('00')))), badRequest(/^"nonce" has a leading zero byte/));
  assert.throws(() => decodeSigned(raw1559(withField(6, u('00')))), badRequest(/^"value" has a leading zero byte/));
  assert.throws(() => decodeSigned(raw1559(withField(9, u('02')))), badRequest(/^"yParity" must be 0 or 1/));
  assert.throws(() => decodeSigned(raw1559(withField(9, u('00')))), badRequest(/^"yParity" has a leading zero byte/));
  assert.throws(() => decodeSigned(raw1559(withField(0, u('')))), badRequest(/^"chainId" must be positive/));
  assert.equal(decodeSigned(raw1559(withField(5, u('')))).tx.to, null, 'empty "to" is a contract creation');
  assert.throws(() => decodeSigned(raw1559(withField(5, addr(1).subarray(1)))), badRequest(/^"to" must be 20 bytes or empty, got 19/));
  assert.throws(() => decodeSigned(raw1559(withField(7, [u('aa')]))), badRequest(/^"data" must be a byte string/));
  assert.throws(() => decodeSigned(raw1559(withField(8, u('')))), badRequest(/^"accessList" must be a list/));
  assert.throws(() => decodeSigned(raw1559(withField(8, [[addr(1)]]))), badRequest(/^"accessList\[0\]" must have 2 fields/));
  assert.throws(() => decodeSigned(raw1559(withField(8, [[addr(1), [new Uint8Array(33)]]]))), badRequest(/storageKeys\[0\]" must be 32 bytes/));
  assert.throws(() => decodeSigned(raw1559(withField(10, u('')))), badRequest(/^"r" is out of range/));
  assert.throws(() => decodeSigned(raw1559(withField(11, encodeUintHex(N - 1n)))), badRequest(/^"s" is above n\/2/));
  assert.throws(() => decodeSigned(raw1559(good.slice(0, 11))), badRequest(/^signed EIP-1559 transaction must have 12 fields, got 11/));
  assert.throws(() => decodeSigned(raw1559([...good, u('')])), badRequest(/must have 12 fields, got 13/));
  assert.throws(() => decodeSigned(Uint8Array.of(0x02)), badRequest(/payload must be an RLP list/));
  assert.throws(() => decodeSigned(Uint8Array.from([0x02, ...encodeRlp(u('aa'))])), badRequest(/payload must be an RLP list/));
  assert.throws(() => decodeSigned(Uint8Array.from([0x03, ...encodeRlp(good)])), badRequest(/^transaction type 3 is not supported/));
  assert.throws(() => decodeSigned(Uint8Array.from([0x00, ...encodeRlp(good)])), badRequest(/^transaction type 0 is not supported/));
  assert.throws(() => decodeSigned(new Uint8Array(0)), badRequest(/^transaction is empty/));
  assert.throws(() => decodeSigned(Uint8Array.from([...raw1559(good), 0x00])), badRequest(/^rlp: 1 trailing byte/));
});

function encodeUintHex(n: bigint): Uint8Array {
  return hexToBytes(n.toString(16).padStart(64, '0'));
}

test('legacy: v maps to chain id and parity; unsigned EIP-155 needs two empty trailing fields', () => {
  const fields: RlpItem[] = [u('09'), u('04a817c800'), u('5208'), addr(0x35), u('0de0b6b3a7640000'), u('')];
  const signedWith = (v: string): Uint8Array => encodeRlp([...fields, u(v), u('01'), u('01')]);
  assert.deepEqual(decodeSigned(signedWith('1b')).signature.yParity, 0);
  assert.equal(decodeSigned(signedWith('1c')).tx.chainId, null);
  assert.deepEqual(decodeSigned(signedWith('25')).tx.chainId, 1n); // 37 = 1·2 + 35 + 0
  assert.deepEqual(decodeSigned(signedWith('26')).signature.yParity, 1); // 38 = 1·2 + 35 + 1
  assert.throws(() => decodeSigned(signedWith('23')), badRequest(/^"v" implies chainId 0/));
  assert.throws(() => decodeSigned(signedWith('24')), badRequest(/^"v" implies chainId 0/));
  for (const v of ['', '01', '1a', '1d', '22']) assert.throws(() => decodeSigned(signedWith(v)), badRequest(/^"v" must be 27, 28 or chainId/), v);
  const unsigned155 = encodeRlp([...fields, u('01'), u(''), u('')]);
  assert.equal(decodeUnsigned(unsigned155).chainId, 1n);
  assert.throws(() => decodeUnsigned(encodeRlp([...fields, u('01'), u('01'), u('')])), badRequest(/must end with two empty fields/));
  assert.throws(() => decodeUnsigned(encodeRlp([...fields, u(''), u(''), u('')])), badRequest(/^"chainId" must be positive/));
  assert.throws(() => decodeUnsigned(encodeRlp([...fields, u('01')])), badRequest(/must have 6 or 9 fields, got 7/));
  assert.throws(() => decodeUnsigned(encodeRlp(u('aa'))), badRequest(/must be an RLP list or a typed envelope/));
});

// ---------------------------------------------------------------------------------------------
// Fuzzing: hostile bytes only ever raise bad_request; anything accepted is canonical

/** Runs `decode`; a failure must be bad_request, a success must re-encode to the input. */
function totalAndCanonical<T>(name: string, bytes: Uint8Array, decode: (b: Uint8Array) => T, reencode: (r: T) => Uint8Array): void {
  let result: T;
  try {
    result = decode(bytes);
  } catch (e) {
    assert.ok(e instanceof ApplianceError && e.code === 'bad_request', `${name} threw ${String(e)} on ${bytesToHex(bytes)}`);
    return;
  }
  assert.equal(bytesToHex(reencode(result)), bytesToHex(bytes), `${name} accepted a non-canonical form`);
}

function assertDecodersTotal(bytes: Uint8Array): void {
  totalAndCanonical('decodeSigned', bytes, decodeSigned, (r) => serializeSigned(r.tx, r.signature));
  totalAndCanonical('decodeUnsigned', bytes, decodeUnsigned, serializeUnsigned);
}

/** Items shaped like transaction fields: short strings, 20/32-byte strings, small lists. */
const fieldArb: fc.Arbitrary<RlpItem> = fc.letrec<{ f: RlpItem }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small' },
    fc.uint8Array({ maxLength: 3 }),
    fc.uint8Array({ minLength: 19, maxLength: 21 }),
    fc.uint8Array({ minLength: 31, maxLength: 33 }),
    fc.array(tie('f'), { maxLength: 3 }),
  ),
})).f;

const envelopeArb = fc.tuple(fc.constantFrom(null, 0x01, 0x02, 0x03, 0x7f), fc.array(fieldArb, { minLength: 5, maxLength: 13 })).map(([type, fields]) => {
  const body = encodeRlp(fields);
  return type === null ? body : Uint8Array.from([type, ...body]);
});

test('fuzz: transaction-shaped RLP never makes a decoder throw anything but bad_request', () => {
  fc.assert(fc.property(envelopeArb, assertDecodersTotal), { numRuns: 5000 });
});

test('fuzz: random bytes and mutated valid transactions never crash the decoders', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), assertDecodersTotal), { numRuns: 5000 });
  const mutated = fc.tuple(txArb(FULL), sigArb, fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')).map(([tx, sig, signed, pos, byte, op]) => {
    const b = Array.from(signed ? serializeSigned(tx, sig) : serializeUnsigned(tx));
    const i = pos % b.length;
    if (op === 'set') b[i] = byte;
    else if (op === 'insert') b.splice(i, 0, byte);
    else b.splice(i, 1);
    return Uint8Array.from(b);
  });
  fc.assert(fc.property(mutated, assertDecodersTotal), { numRuns: 5000 });
});

// ---------------------------------------------------------------------------------------------
// secp256k1 helpers

const privArb = fc.bigInt({ min: 1n, max: N - 1n }).map((k) => hexToBytes(k.toString(16).padStart(64, '0')));
const PRIV = hexToBytes('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');
const PUB = secp256k1.getPublicKey(PRIV, false);

test('normalizeSignature: a high-s HSM output becomes low-s with the parity that recovers the key', () => {
  const tx = FIXED[5] as EvmTx;
  const digest = signingDigest(tx);
  const low = secp256k1.Signature.fromBytes(secp256k1.sign(digest, PRIV, { prehash: false, lowS: true }));
  assert.ok(!low.hasHighS());
  const highS = N - low.s;
  const rsHigh = hexToBytes(low.r.toString(16).padStart(64, '0') + highS.toString(16).padStart(64, '0'));
  const rsLow = low.toBytes('compact');

  const fromHigh = normalizeSignature(rsHigh, digest, PUB);
  const fromLow = normalizeSignature(rsLow, digest, PUB);
  assert.deepEqual(fromHigh, fromLow);
  assert.equal(fromHigh.s, low.s);
  assert.ok(fromHigh.s <= N >> 1n);
  const recovered = new secp256k1.Signature(fromHigh.r, fromHigh.s, fromHigh.yParity).recoverPublicKey(digest).toBytes(false);
  assert.deepEqual(recovered, PUB);
  // and the signed transaction decodes to the signer's address
  const signed = serializeSigned(tx, fromHigh);
  const { signature } = decodeSigned(signed);
  const sender = new secp256k1.Signature(signature.r, signature.s, signature.yParity).recoverPublicKey(digest).toBytes(false);
  assert.deepEqual(addressFromPublicKey(sender), addressFromPublicKey(PUB));
});

test('property: normalizeSignature over random keys, digests and either s half', () => {
  fc.assert(
    fc.property(privArb, bytesN(32), fc.boolean(), (priv, digest, flip) => {
      const pub = secp256k1.getPublicKey(priv, false);
      const sig = secp256k1.Signature.fromBytes(secp256k1.sign(digest, priv, { prehash: false, lowS: true }));
      const s = flip ? N - sig.s : sig.s;
      const rs = hexToBytes(sig.r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'));
      const out = normalizeSignature(rs, digest, pub);
      assert.equal(out.r, sig.r);
      assert.equal(out.s, sig.s);
      assert.ok(secp256k1.verify(new secp256k1.Signature(out.r, out.s).toBytes(), digest, pub, { prehash: false }));
      assert.deepEqual(new secp256k1.Signature(out.r, out.s, out.yParity).recoverPublicKey(digest).toBytes(false), pub);
    }),
    { numRuns: 200 },
  );
});

test('normalizeSignature: wrong key, corrupted or malformed input is an internal fault', () => {
  const digest = keccak_256(Uint8Array.of(1, 2, 3));
  const rs = secp256k1.sign(digest, PRIV, { prehash: false });
  const otherPub = secp256k1.getPublicKey(new Uint8Array(32).fill(7), false);
  const internal = isCode('internal');
  assert.throws(() => normalizeSignature(rs, digest, otherPub), internal);
  const corrupted = Uint8Array.from(rs);
  corrupted[40] = (corrupted[40] as number) ^ 1;
  assert.throws(() => normalizeSignature(corrupted, digest, PUB), internal);
  assert.throws(() => normalizeSignature(rs, keccak_256(Uint8Array.of(9)), PUB), internal);
  assert.throws(() => normalizeSignature(new Uint8Array(64), digest, PUB), isCode('internal', /out of range/));
  assert.throws(() => normalizeSignature(rs.subarray(1), digest, PUB), internal);
  assert.throws(() => normalizeSignature(rs, digest.subarray(1), PUB), internal);
  assert.throws(() => normalizeSignature(rs, digest, secp256k1.getPublicKey(PRIV, true)), internal);
});

test('addressFromPublicKey and toChecksumAddress agree with viem; EIP-55 examples', () => {
  // the EIP-55 specification's own examples
  for (const a of [
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    '0x52908400098527886E0F7030069857D2E4169EE7',
    '0xde709f2102306220921060314715629080e2fb77',
  ]) {
    assert.equal(toChecksumAddress(hexToBytes(a.slice(2).toLowerCase())), a);
  }
  fc.assert(
    fc.property(privArb, (priv) => {
      const pub = secp256k1.getPublicKey(priv, false);
      const ours = toChecksumAddress(addressFromPublicKey(pub));
      assert.equal(ours, publicKeyToAddress(hx(pub)));
      assert.equal(ours, checksumAddress(ours.toLowerCase() as Hex));
    }),
    { numRuns: 200 },
  );
  assert.throws(() => addressFromPublicKey(secp256k1.getPublicKey(PRIV, true)), badRequest(/65 bytes/));
  const offCurve = Uint8Array.from(PUB);
  offCurve[64] = (offCurve[64] as number) ^ 1;
  assert.throws(() => addressFromPublicKey(offCurve), badRequest(/not a point on secp256k1/));
  assert.throws(() => toChecksumAddress(new Uint8Array(19)), badRequest(/"address" expected 20 bytes, got 19/));
});
