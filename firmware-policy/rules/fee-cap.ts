// Rule: per-chain fee caps bound the gas limit and the worst-case fee (gasLimit × maxFeePerGas or
// gasPrice), so a compromised orchestrator cannot drain a key through fees.
import type { PolicyDocument } from '../policy-document.js';
import { ownEntry } from '../policy-document.js';
import type { Reason } from '../decision.js';
import type { TransferIntent } from '../intent.js';

export function checkFeeCap(policy: PolicyDocument, intent: TransferIntent): Reason[] {
  const cap = policy.feeCaps ? ownEntry(policy.feeCaps, intent.chainId.toString()) : undefined;
  if (!cap) return [];
  const reasons: Reason[] = [];
  if (intent.gasLimit !== undefined && intent.gasLimit > cap.maxGasLimit) {
    reasons.push({ rule: 'fee-cap', code: 'gas_limit_above_cap', message: 'gas limit is above the chain cap', detail: { gasLimit: intent.gasLimit, cap: cap.maxGasLimit } });
  }
  if (intent.maxFee > cap.maxFeeWei) {
    reasons.push({ rule: 'fee-cap', code: 'fee_above_cap', message: 'worst-case fee is above the chain cap', detail: { maxFee: intent.maxFee, cap: cap.maxFeeWei } });
  }
  return reasons;
}
