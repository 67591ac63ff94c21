// The reconciliation schedule with a hand-driven timer: a run each time the timer fires, the next one
// armed only after the last ends (never two at once), a failed run reported and the schedule going on,
// and stop disarming it. No wall-clock waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReconcileSchedule, type Timer } from '../../ledger/reconcile-schedule.js';
import type { Reconciliation } from '../../ledger/reconcile-types.js';

class HandTimer implements Timer {
  armed: { fn: () => void; ms: number; id: number }[] = [];
  private next = 1;
  set(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.armed.push({ fn, ms, id });
    return id;
  }
  clear(handle: unknown): void {
    this.armed = this.armed.filter((a) => a.id !== handle);
  }
  /** Fires the one armed callback (there must be exactly one). */
  fire(): void {
    assert.equal(this.armed.length, 1, 'exactly one run is armed');
    const a = this.armed.shift()!;
    a.fn();
  }
}

const run = (id: number): Reconciliation => ({ id, chainId: 1n, block: BigInt(id), runAt: new Date(0).toISOString(), rows: [], breakCount: 0 });

test('runs every N seconds, each next run armed only after the last one ended', async () => {
  const timer = new HandTimer();
  let calls = 0;
  let release: (() => void) | null = null;
  const results: number[] = [];
  const s = new ReconcileSchedule({
    everySeconds: 30,
    timer,
    run: () =>
      new Promise<Reconciliation>((resolve) => {
        const n = ++calls;
        release = () => resolve(run(n));
      }),
    onResult: (r) => results.push(r.id),
  });
  s.start();
  assert.deepEqual(
    timer.armed.map((a) => a.ms),
    [30_000],
  );
  assert.equal(calls, 0, 'nothing runs before the first period');
  timer.fire();
  assert.equal(calls, 1);
  assert.equal(timer.armed.length, 0, 'while a run is in progress, none is armed');
  release!();
  await s.idle();
  assert.deepEqual(results, [1]);
  assert.equal(timer.armed.length, 1);
  timer.fire();
  release!();
  await s.idle();
  assert.deepEqual(results, [1, 2]);
  assert.equal(s.runs, 2);
  assert.equal(s.last?.id, 2);
  await s.stop();
  assert.equal(timer.armed.length, 0, 'stop disarms');
});

test('a failed run is reported and the schedule carries on; start(true) runs at once', async () => {
  const timer = new HandTimer();
  const errors: unknown[] = [];
  let n = 0;
  const s = new ReconcileSchedule({
    everySeconds: 5,
    timer,
    run: async () => {
      n++;
      if (n === 1) throw new Error('rpc down');
      return run(n);
    },
    onError: (e) => errors.push(e),
  });
  s.start(true);
  await s.idle();
  assert.equal((errors[0] as Error).message, 'rpc down');
  assert.equal(s.last, null);
  timer.fire();
  await s.idle();
  assert.equal((s.last as Reconciliation | null)?.id, 2);
  assert.equal(s.runs, 2);
  await s.stop();
  assert.equal(timer.armed.length, 0);
});

test('stop waits for the run in progress and arms nothing after it', async () => {
  const timer = new HandTimer();
  let release: (() => void) | null = null;
  const s = new ReconcileSchedule({ everySeconds: 1, timer, run: () => new Promise<Reconciliation>((resolve) => (release = () => resolve(run(1)))) });
  s.start(true);
  let stopped = false;
  const stopping = s.stop().then(() => (stopped = true));
  await Promise.resolve();
  assert.equal(stopped, false, 'stop waits for the run');
  release!();
  await stopping;
  assert.equal(s.runs, 1);
  assert.equal(timer.armed.length, 0);
  assert.throws(() => new ReconcileSchedule({ everySeconds: 0, timer, run: async () => run(1) }), RangeError);
});
