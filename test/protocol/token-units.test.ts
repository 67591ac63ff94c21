// protocol/token-units.ts: base units to token units, exactly (bigint, no floats), and the readable
// amount for a native coin, an ERC-20 with decimals and one without.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { amountInUnits, formatUnits } from '../../protocol/token-units.js';

const TOKEN = '0x' + 'ab'.repeat(20);

describe('formatUnits', () => {
  test('zero, one wei, whole and fractional amounts with 18 decimals', () => {
    assert.equal(formatUnits(0n, 18), '0');
    assert.equal(formatUnits(1n, 18), '0.000000000000000001');
    assert.equal(formatUnits(10n ** 18n, 18), '1');
    assert.equal(formatUnits(15n * 10n ** 17n, 18), '1.5');
    assert.equal(formatUnits(123_456_789_000_000_000_000n, 18), '123.456789');
    assert.equal(formatUnits(2n ** 256n - 1n, 18), '115792089237316195423570985008687907853269984665640564039457.584007913129639935');
  });

  test('trailing zeros of the fraction are dropped, zeros inside kept', () => {
    assert.equal(formatUnits(1_000_100n, 6), '1.0001');
    assert.equal(formatUnits(1_230_000n, 6), '1.23');
    assert.equal(formatUnits(100n, 2), '1');
    assert.equal(formatUnits(5n, 1), '0.5');
  });

  test('no decimals, and a negative amount', () => {
    assert.equal(formatUnits(42n, 0), '42');
    assert.equal(formatUnits(-15n, 1), '-1.5');
  });

  test('refuses decimals outside 0..77', () => {
    assert.throws(() => formatUnits(1n, -1), RangeError);
    assert.throws(() => formatUnits(1n, 78), RangeError);
    assert.throws(() => formatUnits(1n, 1.5), RangeError);
  });
});

describe('amountInUnits', () => {
  test('a native coin is ETH with 18 decimals, whatever decimals are given', () => {
    assert.equal(amountInUnits('1500000000000000000', '31337:native', null), '1.5 ETH');
    assert.equal(amountInUnits(1000n, '1:native', 6), '0.000000000000001 ETH');
  });

  test("an ERC-20 in token units with the policy's decimals", () => {
    assert.equal(amountInUnits('2500000', `1:erc20:${TOKEN}`, 6), `2.5 of token ${TOKEN} (6 decimals)`);
  });

  test('an ERC-20 without decimals says so and keeps its base units', () => {
    assert.equal(amountInUnits('2500000', `1:erc20:${TOKEN}`, null), `2500000 base units of token ${TOKEN} (decimals unknown)`);
    assert.equal(amountInUnits('7', 'something-else', undefined), '7 base units of asset something-else (decimals unknown)');
  });
});
