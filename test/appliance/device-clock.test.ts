// The device's own time (appliance/device-clock.ts): it resumes from the last sealed time, runs at
// the monotonic clock's rate whatever the host wall clock says, moves forward only by advanceTo (an
// accepted admin time statement) and never back; the nonce is renewed once a statement uses it.
// The sources are driven by hand: no wall-clock waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceClock, guardedMonotonic, readUptimeNs, type ClockSources } from '../../appliance/device-clock.js';
import { ApplianceError } from '../../protocol/errors.js';

const T = 1_700_000_000;
const NS = 1_000_000_000n;

/** A host clock and a monotonic clock the test moves. */
function sources(host: number): ClockSources & { host_: number; mono: bigint; run(seconds: number): void } {
  const s = {
    host_: host,
    mono: 5_000_000_000n,
    host: () => s.host_,
    monotonicNs: () => s.mono,
    run(seconds: number) {
      s.mono += BigInt(seconds) * 1_000_000_000n;
      s.host_ += seconds;
    },
  };
  return s;
}

test('it cannot be read before boot', () => {
  const c = new DeviceClock(sources(T));
  assert.throws(
    () => c.now(),
    (e: unknown) => e instanceof ApplianceError && e.code === 'internal',
  );
});

test('at boot it resumes from the last sealed time and ignores a host clock three days ahead', () => {
  const src = sources(T + 3 * 86_400);
  const c = new DeviceClock(src);
  c.resume(T);
  assert.equal(c.now(), T);
  assert.deepEqual(c.bounds(), { earliest: T, latest: T + 3 * 86_400 });
  src.run(90);
  assert.equal(c.now(), T + 90, 'it runs at the monotonic rate');
  src.host_ += 86_400; // the host jumps another day while the device runs
  assert.equal(c.now(), T + 90, 'a host jump does not move it');
  assert.equal(c.host(), T + 4 * 86_400 + 90);
});

test('a device that never sealed starts from the host clock', () => {
  const c = new DeviceClock(sources(T + 42));
  c.resume(undefined);
  assert.equal(c.now(), T + 42);
});

test('the latest plausible now is the host clock, never below the device time', () => {
  const src = sources(T - 200);
  const c = new DeviceClock(src);
  c.resume(T);
  assert.deepEqual(c.bounds(), { earliest: T, latest: T });
});

test('advanceTo moves it forward, never back, and counts on from there; a snapshot undoes an advance', () => {
  const src = sources(T + 86_400);
  const c = new DeviceClock(src);
  c.resume(T);
  const before = c.snapshot();
  assert.equal(c.advanceTo(T + 86_400), 86_400);
  assert.equal(c.now(), T + 86_400);
  src.run(5);
  assert.equal(c.now(), T + 86_405);
  assert.equal(c.advanceTo(T), 0, 'an older time changes nothing');
  assert.equal(c.now(), T + 86_405);
  c.restore(before);
  assert.equal(c.now(), T + 5, 'restored to the monotonic-only reading');
});

test('the nonce stays until a statement uses it, then a new one is made', () => {
  const c = new DeviceClock(sources(T));
  const n = c.nonce();
  assert.equal(n.length, 16);
  assert.deepEqual(c.nonce(), n, 'reading it again does not change it (admins sign the same nonce)');
  assert.ok(c.isCurrentNonce(n));
  assert.ok(!c.isCurrentNonce(new Uint8Array(16)));
  assert.ok(!c.isCurrentNonce(n.slice(0, 15)));
  c.renewNonce();
  assert.ok(!c.isCurrentNonce(n), 'a used nonce is never current again');
  assert.ok(c.isCurrentNonce(c.nonce()));
});

// The monotonic source itself: the smaller of the process's clock and the kernel's uptime, so a
// preloaded clock library (libfaketime) that moves the first does not move the device's time.
test('guardedMonotonic: a process clock jumped forward mid-run is not followed; the uptime is', () => {
  let hr = 1_000n;
  let up: bigint | undefined = 50n * NS;
  const mono = guardedMonotonic(
    () => hr,
    () => up,
  );
  hr += 10n * NS;
  up += 10n * NS;
  assert.equal(mono(), 10n * NS);
  hr += 3n * 86_400n * NS; // libfaketime's offset file rewritten to +3 days
  up += 1n * NS;
  assert.equal(mono(), 11n * NS, 'the device counts the second that passed, not the three days');
  hr += 5n * NS;
  up += 5n * NS;
  assert.equal(mono(), 16n * NS);
});

test('guardedMonotonic: a process clock running ten times fast is held to the uptime rate', () => {
  let hr = 0n;
  let up = 0n;
  const mono = guardedMonotonic(
    () => hr,
    () => up,
  );
  for (let i = 1; i <= 5; i++) {
    hr += 10n * NS;
    up += NS;
    assert.equal(mono(), BigInt(i) * NS);
  }
});

test('guardedMonotonic: an uptime that lags (its 10 ms resolution, or a reading reused) only slows the clock; never backwards', () => {
  let hr = 0n;
  let up = 0n;
  const mono = guardedMonotonic(
    () => hr,
    () => up,
  );
  let last = 0n;
  for (let i = 0; i < 100; i++) {
    hr += 3_000_000n; // 3 ms: uptime is re-read only every 5 ms of process time
    if (i % 4 === 0) up += 12_000_000n;
    const m = mono();
    assert.ok(m >= last, 'non-decreasing');
    assert.ok(m <= hr, 'never ahead of the process clock');
    last = m;
  }
});

test('guardedMonotonic: without /proc/uptime it is the process clock alone', () => {
  let hr = 7n;
  const mono = guardedMonotonic(
    () => hr,
    () => undefined,
  );
  hr += 2n * NS;
  assert.equal(mono(), 2n * NS);
});

test('readUptimeNs reads the kernel uptime on Linux', () => {
  const a = readUptimeNs();
  assert.ok(a !== undefined && a > 0n);
});
