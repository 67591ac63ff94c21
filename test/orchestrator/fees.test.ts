// Fees: the first offer from a fee history, bumps of at least 10% on both fees (what a node requires of
// a replacement), and the policy's cap that no offer may cross.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bumpOffer, initialOffer, isValidBump, maxFeePerGasUnder, withinCap } from '../../orchestrator/fees.js';

test('the first offer is twice the next base fee plus the median tip', () => {
  const o = initialOffer({ baseFeePerGas: [7n, 8n, 10n], reward: [[1n], [5n], [3n]] });
  assert.deepEqual(o, { maxFeePerGas: 23n, maxPriorityFeePerGas: 3n });
  assert.deepEqual(initialOffer({ baseFeePerGas: [0n] }), { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, 'a tip of at least 1 wei');
  assert.throws(() => initialOffer({ baseFeePerGas: [] }), RangeError);
});

test('every bump is a valid replacement: both fees at least 10% higher, even at 1 wei', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 30n }), (a, b) => {
      const last = { maxFeePerGas: a > b ? a : b, maxPriorityFeePerGas: a > b ? b : a };
      const next = bumpOffer(last);
      return isValidBump(last, next) && next.maxFeePerGas > last.maxFeePerGas && next.maxPriorityFeePerGas > last.maxPriorityFeePerGas;
    }),
  );
  assert.equal(isValidBump({ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, { maxFeePerGas: 109n, maxPriorityFeePerGas: 11n }), false);
});

test('an offer above the policy cap is refused, so a bump past it goes to an operator', () => {
  const cap = { gasLimit: 21_000n, maxFeeWei: 21_000n * 50n };
  assert.equal(maxFeePerGasUnder(cap), 50n);
  assert.deepEqual(withinCap({ maxFeePerGas: 50n, maxPriorityFeePerGas: 2n }, cap), { maxFeePerGas: 50n, maxPriorityFeePerGas: 2n });
  assert.equal(withinCap({ maxFeePerGas: 51n, maxPriorityFeePerGas: 2n }, cap), null);
  assert.equal(withinCap({ maxFeePerGas: 40n, maxPriorityFeePerGas: 41n }, cap), null, 'the tip is never above the max fee');
  let offer = { maxFeePerGas: 30n, maxPriorityFeePerGas: 1n };
  let bumps = 0;
  while (withinCap(bumpOffer(offer), cap) !== null) {
    offer = bumpOffer(offer);
    bumps++;
  }
  assert.equal(bumps, 4, '30 → 33 → 37 → 41 → 46, and 51 would cross 50');
});
