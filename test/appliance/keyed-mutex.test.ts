import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex } from '../../appliance/keyed-mutex.js';

test('work on one key runs one at a time in order; other keys run alongside; errors do not jam the key', async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const step = (key: string, tag: string, ms: number, fail = false) =>
    m.run(key, async () => {
      log.push(`start ${tag}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${tag}`);
      if (fail) throw new Error(tag);
      return tag;
    });
  const results = await Promise.allSettled([step('a', 'a1', 20, true), step('a', 'a2', 1), step('b', 'b1', 5)]);
  assert.equal(results[0]?.status, 'rejected');
  assert.deepEqual(results[1], { status: 'fulfilled', value: 'a2' });
  assert.ok(log.indexOf('end a1') < log.indexOf('start a2'), 'a2 waited for a1');
  assert.ok(log.indexOf('start b1') < log.indexOf('end a1'), 'b1 did not wait for key a');
});
