// The policy scale benchmark (bench/policy-scale.ts) in smoke mode: it loads real state databases,
// measures every point and reports its shape. Structure only: timing targets belong to the
// benchmark run, not to a test that a busy machine could make flaky.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPolicyScale } from '../../bench/policy-scale.js';

test('smoke run reports every scale point with ordered percentiles', async () => {
  const messages: string[] = [];
  const result = await runPolicyScale({ smoke: true, progress: (m) => messages.push(m) });

  assert.deepEqual(
    result.points.map((p) => [p.whitelistEntries, p.windowRecords]),
    [
      [10, 1_000],
      [1_000, 1_000],
    ],
  );
  for (const p of result.points) {
    assert.ok(p.samples > 0, `samples at ${p.whitelistEntries}/${p.windowRecords}`);
    assert.ok(Number.isFinite(p.p50_us) && p.p50_us > 0, `p50 at ${p.whitelistEntries}/${p.windowRecords}`);
    assert.ok(p.p50_us <= p.p99_us, `p50 ${p.p50_us} <= p99 ${p.p99_us} at ${p.whitelistEntries}/${p.windowRecords}`);
  }
  const largest = result.points[result.points.length - 1];
  assert.equal(result.policy_eval_p99_us, largest?.p99_us);
  assert.ok(Number.isFinite(result.p99_ratio_1m_vs_10) && result.p99_ratio_1m_vs_10 > 0);
  assert.ok(
    messages.some((m) => m.includes('loaded')),
    'progress reports loading',
  );
  assert.ok(
    messages.some((m) => m.includes('p99')),
    'progress reports measured points',
  );
});
