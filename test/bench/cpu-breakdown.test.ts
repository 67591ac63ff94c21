// The benchmark's CPU arithmetic on readings whose answers are known: per-process CPU and per-stage
// time divided by the transfers signed, and the bridge's CPU read from a Prometheus scrape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeCpuSeconds, perTransfer } from '../../bench/cpu-breakdown.js';

test('perTransfer divides each difference by the transfers signed', () => {
  const before = { appliance: { cpuMicros: { user: 1_000_000, system: 200_000 }, stages: { policy: { count: 10, micros: 500 }, seal: { count: 5, micros: 100 } } }, bridgeCpuSeconds: 2 };
  const after = {
    appliance: { cpuMicros: { user: 1_300_000, system: 300_000 }, stages: { policy: { count: 1010, micros: 40_500 }, seal: { count: 5, micros: 100 }, y_parity: { count: 1000, micros: 75_000 } } },
    bridgeCpuSeconds: 2.15,
  };
  const r = perTransfer(before, after, 1000);
  assert.equal(r.appliance_us, 400);
  assert.equal(r.bridge_us, 150);
  assert.deepEqual(r.stages_us, { policy: 40, y_parity: 75 }, 'a stage that did not move is left out; one first seen counts from zero');
  assert.deepEqual(r.stage_runs, { policy: 1, y_parity: 1 }, 'runs per transfer, from the counts');
});

test('perTransfer shows a per-commit stage as the group share of each transfer', () => {
  const before = { appliance: { cpuMicros: { user: 0, system: 0 }, stages: { commit_flush: { count: 100, micros: 1000 } } } };
  const after = { appliance: { cpuMicros: { user: 0, system: 0 }, stages: { commit_flush: { count: 150, micros: 6000 } } } };
  assert.deepEqual(perTransfer(before, after, 200).stage_runs, { commit_flush: 0.25 });
});

test('perTransfer without a bridge reading has no bridge figure', () => {
  const reading = { appliance: { cpuMicros: { user: 0, system: 0 }, stages: {} } };
  assert.equal(perTransfer(reading, reading, 10).bridge_us, undefined);
});

test('bridgeCpuSeconds adds user and system, and refuses a scrape without them', () => {
  const text = [
    '# HELP process_cpu_user_seconds_total x',
    '# TYPE process_cpu_user_seconds_total counter',
    'process_cpu_user_seconds_total 1.25',
    'process_cpu_system_seconds_total 0.5',
    'process_cpu_seconds_total 1.75',
  ].join('\n');
  assert.equal(bridgeCpuSeconds(text), 1.75);
  assert.throws(() => bridgeCpuSeconds('process_cpu_seconds_total 3'));
});
