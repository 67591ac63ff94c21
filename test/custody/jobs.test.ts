// The periodic-job runner on a manual clock: a job runs at its interval (and at start when asked),
// never overlaps itself, records a failure and keeps its schedule, runs on demand, and stop cancels
// its timers and waits for the run in flight. No wall-clock sleep: the test moves the clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobError, JobRunner, ManualScheduler, type Job, type JobContext } from '../../custody/jobs.js';

/** A job whose runs the test ends by hand. */
function gatedJob(name: string, everyMs: number): { runs: number[]; failNext: () => void; finish: () => void; job: Job } {
  const runs: number[] = [];
  let release: (() => void) | undefined;
  let fail = false;
  return {
    runs,
    failNext: () => (fail = true),
    finish: () => release?.(),
    job: {
      name,
      everyMs,
      async run(ctx: JobContext) {
        runs.push(ctx.now);
        await new Promise<void>((resolve) => (release = resolve));
        if (fail) {
          fail = false;
          throw new Error('rpc unreachable');
        }
      },
    },
  };
}

test('a job runs every interval after its previous run ended, never twice at once', async () => {
  const clock = new ManualScheduler(1_000);
  const runner = new JobRunner(clock);
  const g = gatedJob('watcher', 500);
  runner.add(g.job);
  runner.start();
  clock.advance(499);
  assert.deepEqual(g.runs, []);
  clock.advance(1);
  assert.deepEqual(g.runs, [1_500]);
  // The run is still going: moving the clock far starts no second run.
  clock.advance(5_000);
  assert.deepEqual(g.runs, [1_500]);
  assert.equal(runner.status()[0]!.running, true);
  g.finish();
  await runner.settled();
  assert.equal(runner.status()[0]!.runs, 1);
  // The next run is due 500 ms after the first ended (at 6 500).
  clock.advance(499);
  assert.deepEqual(g.runs, [1_500]);
  clock.advance(1);
  assert.deepEqual(g.runs, [1_500, 7_000]);
  g.finish();
  await runner.stop();
  assert.equal(clock.pending(), 0, 'stop leaves no timer');
});

test('a failed run is recorded and reported; the job keeps its schedule and a success clears the error', async () => {
  const clock = new ManualScheduler();
  const errors: string[] = [];
  const runner = new JobRunner(clock, (name, err) => errors.push(`${name}: ${(err as Error).message}`));
  const g = gatedJob('reconcile', 100);
  g.job.runAtStart = true;
  runner.add(g.job);
  g.failNext();
  runner.start();
  clock.advance(0);
  assert.deepEqual(g.runs, [0]);
  g.finish();
  await runner.settled();
  assert.deepEqual(errors, ['reconcile: rpc unreachable']);
  assert.deepEqual((({ runs, failures, lastError }) => ({ runs, failures, lastError }))(runner.status()[0]!), { runs: 1, failures: 1, lastError: 'rpc unreachable' });
  clock.advance(100);
  assert.deepEqual(g.runs, [0, 100]);
  g.finish();
  await runner.settled();
  assert.equal(runner.status()[0]!.lastError, null);
  assert.equal(runner.status()[0]!.failures, 1);
  await runner.stop();
});

test('runNow runs a job at once (or joins the run in flight); stop waits for a run and aborts its signal', async () => {
  const clock = new ManualScheduler();
  const runner = new JobRunner(clock);
  let signal: AbortSignal | undefined;
  let release: (() => void) | undefined;
  let count = 0;
  runner.add({
    name: 'slow',
    everyMs: 60_000,
    async run(ctx) {
      count++;
      signal = ctx.signal;
      await new Promise<void>((resolve) => (release = resolve));
    },
  });
  runner.start();
  const first = runner.runNow('slow');
  const joined = runner.runNow('slow');
  await new Promise(setImmediate); // let the run begin (microtasks only; the clock does not move)
  assert.equal(count, 1, 'a second runNow joins the first run');
  release!();
  assert.equal((await first).runs, 1);
  assert.equal((await joined).runs, 1);
  // A run in flight when the runner stops: its signal is aborted and stop waits for it to end.
  const third = runner.runNow('slow');
  await new Promise(setImmediate);
  assert.equal(count, 2);
  let stopped = false;
  const stopping = runner.stop().then(() => (stopped = true));
  assert.equal(signal!.aborted, true);
  await new Promise(setImmediate);
  assert.equal(stopped, false, 'stop waits for the run in flight');
  release!();
  await stopping;
  assert.equal((await third).runs, 2);
  assert.equal(clock.pending(), 0);
  await assert.rejects(runner.runNow('nothing'), JobError);
  assert.throws(() => runner.add({ name: 'late', everyMs: 1, run: async () => {} }), JobError);
});

test('names are unique and intervals positive', () => {
  const runner = new JobRunner(new ManualScheduler());
  runner.add({ name: 'a', everyMs: 10, run: async () => {} });
  assert.throws(() => runner.add({ name: 'a', everyMs: 10, run: async () => {} }), /registered already/);
  assert.throws(() => runner.add({ name: 'b', everyMs: 0, run: async () => {} }), /positive integer/);
});
