// The signing path's stage timers on a clock the test moves: nested stages count only their own
// time, the outer one keeps the rest, a stage that throws still counts, and an observed latency adds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StageTimers } from '../../appliance/stage-timers.js';

function clocked() {
  let t = 0n;
  const timers = new StageTimers(() => t);
  return { timers, advance: (micros: number) => (t += BigInt(micros) * 1000n) };
}

test('a nested stage takes its own time out of the stage around it', () => {
  const { timers, advance } = clocked();
  timers.time('reservation_commit', () => {
    advance(10);
    timers.time('policy', () => advance(40));
    timers.time('seal', () => {
      advance(5);
      timers.time('audit_sign', () => advance(100)); // nested two deep
    });
    advance(3);
  });
  timers.time('policy', () => advance(20));
  assert.deepEqual(timers.snapshot(), {
    policy: { count: 2, micros: 60 },
    reservation_commit: { count: 1, micros: 13 },
    audit_sign: { count: 1, micros: 100 },
    seal: { count: 1, micros: 5 },
  });
});

test('a stage that throws is counted, and the one around it still excludes it', () => {
  const { timers, advance } = clocked();
  timers.time('response_commit', () => {
    advance(2);
    assert.throws(() =>
      timers.time('seal', () => {
        advance(7);
        throw new Error('token');
      }),
    );
  });
  timers.observe('hsm_sign', 1_500_000n);
  assert.deepEqual(timers.snapshot(), { hsm_sign: { count: 1, micros: 1500 }, seal: { count: 1, micros: 7 }, response_commit: { count: 1, micros: 2 } });
});
