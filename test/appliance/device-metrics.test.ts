// The appliance's in-memory counters (appliance/device-metrics.ts): a decision counts once under each
// distinct rule of its reasons, histograms keep cumulative bucket counts with their sum and count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceMetrics, GROUP_COMMIT_BOUNDS } from '../../appliance/device-metrics.js';

test('deny and pending decisions count once per distinct rule; signed by command; failures apart', () => {
  const m = new DeviceMetrics();
  m.decided('deny', ['whitelist', 'per-tx-limit', 'whitelist']);
  m.decided('deny', ['whitelist']);
  m.decided('needs_approval', ['approval-tier']);
  m.decided('needs_approval', []);
  m.signed('sign.evm-tx');
  m.signed('sign.evm-tx');
  m.signed('sign.typed-data');
  m.signFailed();
  const s = m.snapshot();
  assert.deepEqual(s.denied, { whitelist: 2, 'per-tx-limit': 1 });
  assert.deepEqual(s.pending, { 'approval-tier': 1, none: 1 });
  assert.deepEqual(s.signed, { 'sign.evm-tx': 2, 'sign.typed-data': 1 });
  assert.equal(s.signFailed, 1);
});

test('histograms: cumulative counts per upper bound, the sum and the count (values past the last bound only in count)', () => {
  const m = new DeviceMetrics();
  for (const size of [1, 1, 3, 300]) m.groupCommit(size);
  m.hsmSign(700.4);
  m.hsmSign(3_000_000);
  const s = m.snapshot();
  assert.deepEqual(s.groupCommitSize.bounds, [...GROUP_COMMIT_BOUNDS]);
  assert.deepEqual(s.groupCommitSize.counts, [2, 2, 3, 3, 3, 3, 3, 3, 3]);
  assert.equal(s.groupCommitSize.sum, 305);
  assert.equal(s.groupCommitSize.count, 4);
  assert.equal(s.hsmSignMicros.counts[0], 0, '700 µs is above the 500 µs bound');
  assert.equal(s.hsmSignMicros.counts[1], 1);
  assert.equal(s.hsmSignMicros.counts.at(-1), 1, '3 s is above the last bound (2.5 s)');
  assert.equal(s.hsmSignMicros.sum, 3_000_700);
  assert.equal(s.hsmSignMicros.count, 2);
});
