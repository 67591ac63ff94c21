// JSON ↔ CBOR at the bridge: amounts never pass through floating point; bytes are 0x hex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cborToJson, jsonAddress, jsonHex, jsonUint, txFieldsFromJson } from '../../host-bridge/json-cbor.js';
import { MAX_CALLDATA_BYTES } from '../../protocol/limits.js';
import { ApplianceError } from '../../protocol/errors.js';

const isCode = (code: string) => (e: unknown) => e instanceof ApplianceError && e.code === code;
const isBad = isCode('bad_request');

test('unsigned integers: safe JSON integers, decimal strings or 0x hex; nothing lossy', () => {
  assert.equal(jsonUint(5, 'x'), 5n);
  assert.equal(jsonUint('115792089237316195423570985008687907853269984665640564039457584007913129639935', 'x'), 2n ** 256n - 1n);
  assert.equal(jsonUint('0xff', 'x'), 255n);
  assert.equal(jsonUint('0x0', 'x'), 0n);
  assert.equal(jsonUint('0', 'x'), 0n);
  assert.equal(jsonUint('0xFF', 'x'), 255n);
  for (const bad of [1.5, -1, 2 ** 53, '1e18', ' 1', '', null, true, '0x', '0X1', '0x-1', '0xg', '1'.repeat(79), '0x' + 'f'.repeat(65), '+1'])
    assert.throws(() => jsonUint(bad, 'x'), isBad, String(bad));
});

test('a quantity with leading zeros is refused as non_canonical (one value, one spelling)', () => {
  for (const v of ['0x00ff', '0x0ff', '0x00', '00', '01', '0007']) assert.throws(() => jsonUint(v, 'value'), isCode('non_canonical'), v);
});

test('hex bytes are checked by a linear scan: 8 MiB of hex is refused, typed, without a stack overflow', () => {
  // 8 Mi digits overflowed the old /^0x([0-9a-fA-F]{2})*$/ (RangeError: Maximum call stack size exceeded).
  const huge = '0x' + 'ab'.repeat(4 << 20);
  assert.throws(() => jsonHex(huge, 'data'), isBad); // over the 64 KiB default: refused by its length alone
  assert.throws(() => jsonHex(huge + 'g0', 'data', undefined, 8 << 20), isBad); // within the cap: one pass finds the bad digit
  assert.equal(jsonHex(huge, 'data', undefined, 4 << 20).length, 4 << 20);
  assert.throws(() => jsonHex('0x' + 'ab'.repeat(1000) + 'g', 'data'), isBad);
  assert.throws(() => jsonHex('0xabc', 'data'), isBad);
  assert.throws(() => jsonHex('ab', 'data'), isBad);
  assert.deepEqual(jsonHex('0x', 'data'), new Uint8Array());
  const data = (n: number) => ({ type: 'eip1559', data: '0x' + '00'.repeat(n) });
  assert.equal((txFieldsFromJson(data(MAX_CALLDATA_BYTES)).data as Uint8Array).length, MAX_CALLDATA_BYTES);
  assert.throws(() => txFieldsFromJson(data(MAX_CALLDATA_BYTES + 1)), isBad);
});

test('addresses: lower and upper case carry no checksum; mixed case must be the EIP-55 checksum', () => {
  // EIP-55's own examples (https://eips.ethereum.org/EIPS/eip-55).
  for (const a of [
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ]) {
    assert.equal(jsonAddress(a, 'to').length, 20, a);
    assert.equal(jsonAddress(a.toLowerCase(), 'to').length, 20);
    assert.equal(jsonAddress('0x' + a.slice(2).toUpperCase(), 'to').length, 20);
    const flipped = a.slice(0, 2) + a.slice(2).replace(/[a-f]/, (ch) => ch.toUpperCase());
    assert.throws(() => jsonAddress(flipped, 'to'), isCode('bad_checksum'), flipped);
  }
  assert.throws(() => txFieldsFromJson({ to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD' }), isCode('bad_checksum'));
  assert.throws(() => txFieldsFromJson({ accessList: [{ address: '0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', storageKeys: [] }] }), isCode('bad_checksum'));
  assert.throws(() => jsonAddress('0x' + 'ab'.repeat(19), 'to'), isBad);
});

test('transaction fields convert to typed CBOR values and unknown fields are refused', () => {
  const m = txFieldsFromJson({
    type: 'eip1559',
    chainId: 1,
    nonce: '7',
    to: '0x' + 'ab'.repeat(20),
    value: '1000000000000000000',
    data: '0x',
    gasLimit: 21000,
    maxFeePerGas: '3',
    maxPriorityFeePerGas: '1',
    accessList: [],
  });
  assert.equal(m.value, 10n ** 18n);
  assert.ok(m.to instanceof Uint8Array && m.to.length === 20);
  assert.throws(() => txFieldsFromJson({ type: 'eip1559', from: '0x' }), isBad);
  assert.throws(() => txFieldsFromJson({ to: '0xabc' }), isBad);
});

test('CBOR results become JSON with hex bytes and decimal big integers', () => {
  assert.deepEqual(cborToJson({ a: new Uint8Array([1, 255]), b: 2n ** 70n, c: [1, 'x', null], d: new Map([[1, true]]) }), {
    a: '0x01ff',
    b: (2n ** 70n).toString(),
    c: [1, 'x', null],
    d: { '1': true },
  });
});
