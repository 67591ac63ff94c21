// The device's own time (appliance/device-clock.ts): it resumes from the last sealed time, runs at
// the monotonic clock's rate whatever the host wall clock says, moves forward only by advanceTo (an
// accepted admin time statement) and never back; the nonce is renewed once a statement uses it.
// The sources are driven by hand: no wall-clock waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceClock, type ClockSources } from '../../appliance/device-clock.js';
import { ApplianceError } from '../../protocol/errors.js';

const T = 1_700_000_000;

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
  assert.throws(() => c.now(), (e: unknown) => e instanceof ApplianceError && e.code === 'internal');
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
