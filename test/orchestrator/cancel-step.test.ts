// The fees a cancel starts from: the highest offer made at the nonce, each fee on its own, so the
// cancel's 10% bump is over every signature the appliance recorded there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highestOffer } from '../../orchestrator/cancel-step.js';
import { bumpOffer, isValidBump } from '../../orchestrator/fees.js';

test('the highest offer takes each fee field from whichever attempt offered most', () => {
  const offers = [
    { maxFeePerGas: 100n, maxPriorityFeePerGas: 9n },
    { maxFeePerGas: 120n, maxPriorityFeePerGas: 5n },
  ];
  const top = highestOffer([...offers, { maxFeePerGas: null, maxPriorityFeePerGas: null }]);
  assert.deepEqual(top, { maxFeePerGas: 120n, maxPriorityFeePerGas: 9n });
  const cancel = bumpOffer(top);
  for (const o of offers) assert.ok(isValidBump(o, cancel), 'a valid replacement of every attempt');
});

test('no attempt gives zero fees', () => {
  assert.deepEqual(highestOffer([]), { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
});
