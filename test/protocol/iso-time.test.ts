// protocol/iso-time.ts: unix seconds as ISO 8601 UTC by calendar arithmetic, checked against known
// dates (leap days, century rules, the epoch, year 9999) and against Date over a spread of seconds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isIsoSeconds, isoTime, MAX_ISO_SECONDS } from '../../protocol/iso-time.js';

describe('isoTime', () => {
  test('known instants', () => {
    assert.equal(isoTime(0), '1970-01-01T00:00:00Z');
    assert.equal(isoTime(1764667200), '2025-12-02T09:20:00Z');
    assert.equal(isoTime(951782400), '2000-02-29T00:00:00Z'); // 2000 is a leap year (divisible by 400)
    assert.equal(isoTime(4107542399), '2100-02-28T23:59:59Z');
    assert.equal(isoTime(4107542400), '2100-03-01T00:00:00Z'); // 2100 is not (divisible by 100)
    assert.equal(isoTime(1709208000), '2024-02-29T12:00:00Z');
    assert.equal(isoTime(MAX_ISO_SECONDS), '9999-12-31T23:59:59Z');
  });

  test('agrees with Date (without milliseconds) across the range', () => {
    for (let s = 0; s <= MAX_ISO_SECONDS; s += 7_777_777 + (s % 86_399)) {
      assert.equal(isoTime(s), new Date(s * 1000).toISOString().replace('.000Z', 'Z'), `at ${s}`);
    }
  });

  test('refuses what is not whole seconds from 1970 through year 9999', () => {
    for (const bad of [-1, 1.5, MAX_ISO_SECONDS + 1, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
      assert.equal(isIsoSeconds(bad), false, String(bad));
      assert.throws(() => isoTime(bad), RangeError);
    }
    assert.equal(isIsoSeconds('1764667200'), false);
    assert.equal(isIsoSeconds(1764667200), true);
  });
});
