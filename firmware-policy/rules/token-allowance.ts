// Rule: an ERC-20 allowance (approve, increaseAllowance, or a Permit / Permit2 signature) is judged
// like a transfer of control: the spender must be whitelisted (checked by the caller), the amount
// stays within the asset's approval cap (default: its per-transaction limit), and an unlimited
// allowance (2^256-1) is denied unless the policy allows it for that asset.
import type { AssetRules } from '../policy-document.js';
import type { Reason } from '../decision.js';
import { MAX_UINT256 } from '../evm/erc20-calldata.js';

export function checkAllowance(rules: AssetRules, amount: bigint): Reason[] {
  if (amount === MAX_UINT256) {
    return rules.allowUnlimitedApproval === true
      ? []
      : [{ rule: 'allowance', code: 'unlimited_approval', message: 'an unlimited allowance is not allowed for this asset' }];
  }
  const cap = rules.approvalCap ?? rules.perTxMax;
  if (amount <= cap) return [];
  return [{ rule: 'allowance', code: 'approval_above_cap', message: 'the allowance is above the asset\'s approval cap', detail: { amount, cap } }];
}
