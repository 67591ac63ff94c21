// Rule: a key group's keys sign only for the chains its policy lists.
import type { GroupPolicy } from '../policy-document.js';
import type { Reason } from '../decision.js';

export function checkChainAllowlist(group: GroupPolicy, chainId: bigint): Reason[] {
  if (group.chains.includes(chainId)) return [];
  return [{ rule: 'chain-allowlist', code: 'chain_not_allowed', message: `chain ${chainId} is not allowed for this key group`, detail: { chainId } }];
}
