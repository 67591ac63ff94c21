// Rule: one transfer may not exceed the asset's per-transaction limit.
import type { AssetRules } from '../policy-document.js';
import type { Reason } from '../decision.js';

export function checkPerTxLimit(rules: AssetRules, amount: bigint): Reason[] {
  if (amount <= rules.perTxMax) return [];
  return [{ rule: 'per-tx-limit', code: 'per_tx_limit', message: 'amount is above the per-transaction limit', detail: { amount, limit: rules.perTxMax } }];
}
