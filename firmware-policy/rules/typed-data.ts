// EIP-712 signing (DESIGN.md: the signer checks what it signs). The domain's chainId and
// verifyingContract must be allowlisted for the key group; a Permit (EIP-2612) or Permit2 message is
// judged like an allowance: the spender must be whitelisted and each amount within the token's
// approval cap, never unlimited unless allowed. Other typed data passes on the domain allowlist alone.
import type { Decision, Reason } from '../decision.js';
import { erc20AssetId, groupOf, ownEntry, type PolicyDocument } from '../policy-document.js';
import type { StateView } from '../state-view.js';
import type { TypedDomainFacts, TypedIntent } from '../evm/eip712.js';
import { checkWhitelist } from './whitelist-hold.js';
import { checkAllowance } from './token-allowance.js';
import { checkRequester } from '../principals.js';

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export function evaluateTypedData(policy: PolicyDocument, view: StateView, req: { keyGroup: string; facts: TypedDomainFacts; intent: TypedIntent; requester: string }, now: number): Decision {
  const tally = { required: 0, counted: [], rejected: [] };
  const deny = (reasons: Reason[]): Decision => ({ outcome: 'deny', reasons, approvals: tally });
  const who = checkRequester(policy, req.requester, 'requester');
  if (who.length > 0) return deny(who);
  const group = groupOf(policy, req.keyGroup);
  if (!group) return deny([{ rule: 'key-group', code: 'unknown_key_group', message: 'the key group is not in the active policy' }]);
  const { chainId, verifyingContract } = req.facts;
  const allowed = chainId !== null && verifyingContract !== null && (group.typedData ?? []).some((d) => d.chainId === chainId && same(d.verifyingContract, verifyingContract));
  if (!allowed || chainId === null) {
    return deny([{ rule: 'typed-data', code: 'typed_domain_not_allowed', message: 'the typed-data domain (chainId and verifyingContract) is not allowlisted for this key group' }]);
  }
  const reasons: Reason[] = [];
  const allowance = (token: Uint8Array, spender: Uint8Array, amount: bigint) => {
    const rules = ownEntry(group.assets, erc20AssetId(chainId, token));
    if (!rules) {
      reasons.push({ rule: 'asset', code: 'asset_not_allowed', message: `asset ${erc20AssetId(chainId, token)} is not allowed for this key group` });
      return;
    }
    reasons.push(...checkWhitelist(group, req.keyGroup, view, chainId, spender, now), ...checkAllowance(rules, amount));
  };
  const intent = req.intent;
  if (intent.kind === 'permit') allowance(intent.token ?? verifyingContract, intent.spender, intent.value);
  else if (intent.kind === 'permit2') for (const t of intent.tokens) allowance(t.token, intent.spender, t.amount);
  // Reasons may repeat per token (one whitelist check each); keep the first of each code.
  const unique = reasons.filter((r, i) => reasons.findIndex((x) => x.code === r.code) === i);
  return unique.length > 0 ? deny(unique) : { outcome: 'allow', reasons: [], approvals: tally };
}
