// The W1 checks as a pure judgement: screening, the 24-hour limit, the travel-rule payload above a
// threshold and its digest; and the risk-list file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, parseRiskList, type CheckConfig } from '../../orchestrator/checks.js';
import { checkTravelRule, travelRuleHash } from '../../orchestrator/travel-rule.js';
import { IVMS } from '../helpers/ivms101.js';

const BAD = '0x' + 'dd'.repeat(20);
const OK = '0x' + '42'.repeat(20);
const cfg: CheckConfig = { dailyLimits: { '1:native': 100n }, riskList: new Set([BAD]), travelRuleAbove: { '1:native': 50n } };

test('a withdrawal within every check passes, with no travel rule below the threshold', () => {
  assert.deepEqual(judge({ asset: '1:native', to: OK, amount: 40n, withdrawnInWindow: 0n }, cfg), { ok: true, travelRuleHash: null });
});

test('a screened destination, the 24-hour limit and a missing travel rule are each refused with a code', () => {
  const r = judge({ asset: '1:native', to: BAD.toUpperCase().replace('0X', '0x'), amount: 60n, withdrawnInWindow: 50n }, cfg);
  assert.equal(r.ok, false);
  assert.deepEqual(!r.ok && r.reasons.map((x) => x.code), ['screened_address', 'daily_limit', 'travel_rule_required']);
  assert.equal(judge({ asset: '1:native', to: OK, amount: 50n, withdrawnInWindow: 50n }, cfg).ok, true, 'exactly at the limit passes');
});

test('above the threshold a valid IVMS101 payload passes and its digest is kept; a malformed one is refused', () => {
  const r = judge({ asset: '1:native', to: OK, amount: 60n, withdrawnInWindow: 0n, travelRule: IVMS }, cfg);
  assert.deepEqual(r, { ok: true, travelRuleHash: travelRuleHash(IVMS) });
  const broken = { ...IVMS, beneficiary: { beneficiaryPersons: [], accountNumber: [OK] } };
  const bad = judge({ asset: '1:native', to: OK, amount: 60n, withdrawnInWindow: 0n, travelRule: broken }, cfg);
  assert.deepEqual(!bad.ok && bad.reasons.map((x) => x.code), ['travel_rule_invalid']);
  assert.equal(checkTravelRule({ originator: IVMS.originator }).ok, false);
  assert.equal(checkTravelRule('x').ok, false);
});

test('the digest is over canonical JSON: key order does not change it, content does', () => {
  const reordered = { beneficiary: IVMS.beneficiary, originator: IVMS.originator };
  assert.equal(travelRuleHash(reordered), travelRuleHash(IVMS));
  assert.match(travelRuleHash(IVMS), /^0x[0-9a-f]{64}$/);
  assert.notEqual(travelRuleHash({ ...IVMS, originator: { ...IVMS.originator, accountNumber: ['other'] } }), travelRuleHash(IVMS));
});

test('a risk list file: addresses, comments and blank lines; a bad line names its number', () => {
  assert.deepEqual([...parseRiskList(`# sanctioned\n${BAD.toUpperCase().replace('0X', '0x')}\n\n${OK} # test\n`)], [BAD, OK]);
  assert.throws(() => parseRiskList('0x12\n'), /line 1/);
});
