// firmware-policy/reason-texts.ts: every reason code has its own sentence, and the sentences that
// name data (a hold's end, the approvals counted) name it from the reason's detail.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REASON_CODES } from '../../firmware-policy/reason-codes.js';
import { REASON_TEXTS, reasonExplanation } from '../../firmware-policy/reason-texts.js';

describe('reason texts', () => {
  test('every code has a sentence, and the table holds no other code', () => {
    assert.deepEqual(Object.keys(REASON_TEXTS).sort(), [...REASON_CODES].sort());
    for (const code of REASON_CODES) {
      const t = reasonExplanation(code);
      assert.ok(t && t.length >= 30, `${code} has a sentence`);
      assert.equal(t, REASON_TEXTS[code]);
    }
  });

  test('no two codes share a sentence', () => {
    assert.equal(new Set(Object.values(REASON_TEXTS)).size, REASON_CODES.length);
  });

  test("a whitelist hold names when it ends (ISO 8601 UTC), from the reason's activeAt", () => {
    assert.equal(
      reasonExplanation('whitelist_hold', { to: '0x00', activeAt: 1764667200 }),
      "the destination was whitelisted less than the group's hold ago; it can be signed from 2025-12-02T09:20:00Z",
    );
    assert.equal(reasonExplanation('whitelist_hold', {}), REASON_TEXTS.whitelist_hold);
  });

  test('a request held for approvals names the approvals needed and counted', () => {
    assert.match(reasonExplanation('needs_approval', { required: 2, valid: 1 }) ?? '', /: 2 distinct approvals are needed and 1 valid ones are counted$/);
  });

  test('a code outside the list has no sentence', () => {
    assert.equal(reasonExplanation('stale_nonce'), undefined);
    assert.equal(reasonExplanation('toString'), undefined);
  });
});
