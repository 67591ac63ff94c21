// KeyedMutex: one key's work runs one at a time in arrival order, other keys alongside, and a failure
// does not jam the key. Each piece of work ends when the test releases it, never after a delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex } from '../../appliance/keyed-mutex.js';

/** Lets queued promise callbacks run (microtasks and one macrotask turn), without waiting for time. */
const settle = () => new Promise<void>((r) => setImmediate(r));

test('work on one key runs one at a time in order; other keys run alongside; errors do not jam the key', async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const release = new Map<string, () => void>();
  const step = (key: string, tag: string, fail = false) =>
    m.run(key, async () => {
      log.push(`start ${tag}`);
      await new Promise<void>((r) => release.set(tag, r));
      log.push(`end ${tag}`);
      if (fail) throw new Error(tag);
      return tag;
    });
  const a1 = step('a', 'a1', true);
  const a2 = step('a', 'a2');
  const b1 = step('b', 'b1');
  await settle();
  assert.deepEqual(log, ['start a1', 'start b1'], 'b1 runs alongside a1; a2 waits for a1');
  release.get('b1')!();
  assert.equal(await b1, 'b1');
  await settle();
  assert.deepEqual(log, ['start a1', 'start b1', 'end b1'], 'b1 ending does not start a2');
  release.get('a1')!();
  await assert.rejects(a1, /a1/);
  await settle();
  assert.deepEqual(log.slice(3), ['end a1', 'start a2'], 'a2 starts once a1 has failed');
  release.get('a2')!();
  assert.equal(await a2, 'a2');
});
