// The soak's drift measure: a least-squares trend, checked on series whose answer is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trendChange } from '../../bench/stats.js';

test('trendChange: a flat series has no drift, a straight climb shows in full', () => {
  assert.equal(trendChange([10, 10, 10, 10]), 0);
  assert.ok(Math.abs(trendChange([10, 11, 12, 13, 14]) - 0.4) < 1e-12);
  assert.ok(Math.abs(trendChange([20, 15, 10]) - -0.5) < 1e-12);
});

test('trendChange: one spike at the end moves it clearly less than last-versus-first', () => {
  const series = [10, 10, 10, 10, 10, 10, 10, 10, 13];
  const lastVsFirst = (series[series.length - 1]! - series[0]!) / series[0]!;
  const trend = trendChange(series);
  assert.ok(trend > 0 && trend < 0.6 * lastVsFirst, `trend ${trend} vs ${lastVsFirst}`);
  // A sustained climb of the same size is not hidden.
  assert.ok(trendChange([10, 10.375, 10.75, 11.125, 11.5, 11.875, 12.25, 12.625, 13]) > 0.29);
});

test('trendChange: fewer than two points give 0', () => {
  assert.equal(trendChange([]), 0);
  assert.equal(trendChange([5]), 0);
});
