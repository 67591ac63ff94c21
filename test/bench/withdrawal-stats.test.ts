// The withdrawal benchmark's arithmetic on transition logs whose answers are known: milestones (W3 as
// the first of approved and signed), stage durations, W0 → W5 per second, and step spreads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durations, milestonesOf, signedPerSecond, spread, stagesOf, stepSpreads, type TransitionPoint } from '../../bench/withdrawal-stats.js';
import { sloRows, type WithdrawalLevel } from '../../bench/withdrawals.js';

const log = (id: string, steps: [string, number][]): TransitionPoint[] => steps.map(([to, atMs]) => ({ withdrawalId: id, to, atMs }));

// "plain" needs no approval: W3 is when it was signed. "big" waits for approvers: W3 is approved.
const ROWS: TransitionPoint[] = [
  ...log('plain', [
    ['requested', 1000],
    ['policy_checked', 1010],
    ['signing', 1030],
    ['signed', 1070],
    ['broadcasted', 1100],
    ['included', 1300],
  ]),
  ...log('big', [
    ['requested', 1005],
    ['policy_checked', 1020],
    ['signing', 1040],
    ['approval_pending', 1060],
    ['approved', 3000],
    ['signed', 3000],
    ['broadcasted', 3050],
  ]),
];

test('milestonesOf: W3 is approved when approvers were waited for, signed otherwise; row order does not matter', () => {
  const ms = milestonesOf([...ROWS].reverse());
  assert.deepEqual(ms.get('plain'), { requested: 1000, policyChecked: 1010, signing: 1030, approved: 1070, signed: 1070, broadcasted: 1100 });
  assert.deepEqual(ms.get('big'), { requested: 1005, policyChecked: 1020, signing: 1040, approved: 3000, signed: 3000, broadcasted: 3050 });
});

test('milestonesOf: a state entered twice (a reorg sends it back to broadcasted) counts from its first entry', () => {
  const ms = milestonesOf([
    ...log('w', [
      ['requested', 0],
      ['signed', 50],
      ['broadcasted', 60],
      ['included', 80],
    ]),
    { withdrawalId: 'w', to: 'broadcasted', atMs: 90 },
  ]);
  assert.equal(ms.get('w')!.broadcasted, 60);
});

test('stage durations: W0 → W3, W3 → W6, W0 → W1 and W4 → W5, over the withdrawals that reached both ends', () => {
  const ms = milestonesOf(ROWS);
  assert.deepEqual(
    durations(ms.values(), 'requested', 'approved').sort((a, b) => a - b),
    [70, 1995],
  );
  assert.deepEqual(
    durations(ms.values(), 'approved', 'broadcasted').sort((a, b) => a - b),
    [30, 50],
  );
  const stages = stagesOf(ms);
  assert.deepEqual(stages.w0_w1, { n: 2, p50_ms: 10, p99_ms: 15 });
  assert.deepEqual(stages.w4_w5, { n: 2, p50_ms: 40, p99_ms: 1960 });
  // One still short of broadcast is left out of W3 → W6, not counted as zero.
  const partial = milestonesOf([
    ...ROWS,
    ...log('late', [
      ['requested', 2000],
      ['signed', 2100],
    ]),
  ]);
  assert.equal(stagesOf(partial).w3_w6.n, 2);
  assert.equal(stagesOf(partial).w0_w3.n, 3);
});

test('signedPerSecond: the signed ones over first request to last signature', () => {
  // Two signed between t=1000 and t=3000: 2 in 2 s.
  assert.equal(signedPerSecond(milestonesOf(ROWS).values()), 1);
  // Ten signed over 0.5 s.
  const ten = Array.from({ length: 10 }, (_, i) =>
    log(`w${i}`, [
      ['requested', i * 40],
      ['signed', i * 40 + 140],
    ]),
  ).flat();
  assert.equal(signedPerSecond(milestonesOf(ten).values()), 20);
  // Never signed ones do not count; nothing signed is 0.
  assert.equal(
    signedPerSecond(
      milestonesOf(
        log('x', [
          ['requested', 0],
          ['rejected', 5],
        ]),
      ).values(),
    ),
    0,
  );
});

test('spread and stepSpreads: p50 and p99 by the state a step started from', () => {
  assert.deepEqual(spread([]), { n: 0, p50_ms: 0, p99_ms: 0 });
  const samples = [...Array.from({ length: 100 }, (_, i) => ({ from: 'requested', ms: i + 1 })), { from: 'policy_checked', ms: 42.123456 }];
  assert.deepEqual(stepSpreads(samples), { policy_checked: { n: 1, p50_ms: 42.123, p99_ms: 42.123 }, requested: { n: 100, p50_ms: 50, p99_ms: 99 } });
});

test('sloRows: met only when the p99 is within the target, never on no samples', () => {
  const s = (p50: number, p99: number, n = 10) => ({ n, p50_ms: p50, p99_ms: p99 });
  const level: WithdrawalLevel = {
    concurrency: 4,
    withdrawals: 10,
    signed: 10,
    broadcasted: 10,
    stopped: 0,
    step_errors: 0,
    seconds: 1,
    per_s: 10,
    stages: { w0_w3: s(10, 20), w3_w6: s(50, 100.5), w0_w1: s(1, 2), w4_w5: s(5, 9) },
    steps: { policy_check: s(3, 19.9), sign: s(40, 60), broadcast: s(0, 0, 0) },
  };
  const rows = sloRows(level);
  assert.deepEqual(
    rows.map((r) => [r.target_ms, r.met]),
    [
      [20, true],
      [100, false],
      [20, true],
      [100, true],
      [100, true],
    ],
  );
  assert.equal(sloRows({ ...level, steps: { ...level.steps, policy_check: s(0, 0, 0) } })[2]!.met, false);
});
