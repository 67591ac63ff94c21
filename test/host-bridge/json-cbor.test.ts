// JSON ↔ CBOR at the bridge: amounts never pass through floating point; bytes are 0x hex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cborToJson, jsonUint, txFieldsFromJson } from '../../host-bridge/json-cbor.js';
import { ApplianceError } from '../../protocol/errors.js';

const isBad = (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request';

test('unsigned integers: safe JSON integers, decimal strings or 0x hex; nothing lossy', () => {
  assert.equal(jsonUint(5, 'x'), 5n);
  assert.equal(jsonUint('115792089237316195423570985008687907853269984665640564039457584007913129639935', 'x'), 2n ** 256n - 1n);
  assert.equal(jsonUint('0xff', 'x'), 255n);
  for (const bad of [1.5, -1, 2 ** 53, '01', '1e18', ' 1', '', null, true, '0x']) assert.throws(() => jsonUint(bad, 'x'), isBad, String(bad));
});

test('transaction fields convert to typed CBOR values and unknown fields are refused', () => {
  const m = txFieldsFromJson({ type: 'eip1559', chainId: 1, nonce: '7', to: '0x' + 'ab'.repeat(20), value: '1000000000000000000', data: '0x', gasLimit: 21000, maxFeePerGas: '3', maxPriorityFeePerGas: '1', accessList: [] });
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
