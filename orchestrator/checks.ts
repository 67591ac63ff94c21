// The W1 checks the orchestrator makes before the appliance is asked: the destination against a risk
// list, the customer's rolling 24-hour limit per asset, and, above a threshold, a well-formed
// travel-rule payload. (The Available balance is reserved by the ledger in the same transaction,
// w1-policy-check.ts.) A pure judgement over what the caller read; each refusal has a code and a message.
import { checkTravelRule, travelRuleHash } from './travel-rule.js';

export interface CheckConfig {
  /** Per asset id: the most one customer may withdraw in any 24 hours. An asset absent here is not limited. */
  dailyLimits: Record<string, bigint>;
  /** Addresses (lower case) no withdrawal may go to. */
  riskList: ReadonlySet<string>;
  /** Per asset id: above this amount a travel-rule payload is required. */
  travelRuleAbove: Record<string, bigint>;
}

export const CHECK_CODES = ['screened_address', 'daily_limit', 'travel_rule_required', 'travel_rule_invalid', 'insufficient_funds'] as const;
export type CheckCode = (typeof CHECK_CODES)[number];

export interface CheckReason {
  code: CheckCode;
  message: string;
}

export interface CheckInput {
  asset: string;
  to: string;
  amount: bigint;
  /** What the customer withdrew of this asset in the 24 hours before this request (not rejected or cancelled). */
  withdrawnInWindow: bigint;
  travelRule?: unknown;
}

export type CheckResult = { ok: true; travelRuleHash: string | null } | { ok: false; reasons: CheckReason[] };

export function judge(c: CheckInput, cfg: CheckConfig): CheckResult {
  const reasons: CheckReason[] = [];
  if (cfg.riskList.has(c.to.toLowerCase())) reasons.push({ code: 'screened_address', message: 'the destination is on the risk list' });
  const limit = cfg.dailyLimits[c.asset];
  if (limit !== undefined && c.withdrawnInWindow + c.amount > limit) {
    reasons.push({ code: 'daily_limit', message: `the customer's 24-hour limit of ${limit} would be exceeded (${c.withdrawnInWindow} already)` });
  }
  const above = cfg.travelRuleAbove[c.asset];
  let hash: string | null = null;
  if (c.travelRule !== undefined) {
    const t = checkTravelRule(c.travelRule);
    if (!t.ok) reasons.push({ code: 'travel_rule_invalid', message: t.problem ?? 'the travel-rule payload is malformed' });
    else hash = travelRuleHash(c.travelRule);
  } else if (above !== undefined && c.amount > above) {
    reasons.push({ code: 'travel_rule_required', message: `above ${above} a travel-rule payload (IVMS101 originator and beneficiary) is required` });
  }
  return reasons.length === 0 ? { ok: true, travelRuleHash: hash } : { ok: false, reasons };
}

/** A risk list file: one address per line; blank lines and `#` comments ignored. Throws on a bad line. */
export function parseRiskList(text: string): Set<string> {
  const out = new Set<string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    if (!/^0x[0-9a-fA-F]{40}$/.test(line)) throw new RangeError(`risk list line ${i + 1}: not an address`);
    out.add(line.toLowerCase());
  }
  return out;
}
