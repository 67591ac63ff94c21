// Rule: a contract call that is neither a plain nor an ERC-20 transfer or allowance is denied unless
// the group allows that exact contract and selector on that chain.
import { equalBytes } from '../../protocol/bytes.js';
import type { GroupPolicy } from '../policy-document.js';
import type { Reason } from '../decision.js';

export function checkContractCall(group: GroupPolicy, chainId: bigint, contract: Uint8Array, selector: Uint8Array): Reason[] {
  const allowed = (group.contracts ?? []).some((c) => c.chainId === chainId && equalBytes(c.address, contract) && c.selectors.some((s) => equalBytes(s, selector)));
  if (allowed) return [];
  return [{ rule: 'calldata', code: 'calldata_not_allowed', message: 'this contract call (contract and selector) is not allowed for this key group', detail: { contract, selector } }];
}
