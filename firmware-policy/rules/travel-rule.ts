// Rule: a transfer of an asset strictly above its `travelRuleAbove` amount must name a travel-rule
// payload (issue 14 item 3): the SHA-256 of the IVMS101 originator/beneficiary record the
// orchestrator sends with the request. The firmware cannot read the payload; the hash only proves the
// requester committed to one, and it is kept in the request's arguments (under the requester's
// stamp) and in the audit entry. At or below the amount, or with no `travelRuleAbove`, it passes.
import type { AssetRules } from '../policy-document.js';
import type { Reason } from '../decision.js';

export function checkTravelRule(rules: AssetRules, amount: bigint, travelRuleHash: Uint8Array | undefined): Reason[] {
  const above = rules.travelRuleAbove;
  if (above === undefined || amount <= above || travelRuleHash !== undefined) return [];
  return [{ rule: 'travel-rule', code: 'travel_rule_missing', message: 'a transfer above the travel-rule amount must carry a travel-rule hash', detail: { amount, threshold: above } }];
}
