// One sentence in words for every reason code (reason-codes.ts): what the rule means and what lets the
// request through, for operators, approvers and auditors reading a denial or a request held for
// approvals. The bridge, hsmctl and the approver console show the same sentence beside the reason's
// `rule`, `code` and the evaluator's own `message` (which the audit entry records and this does not
// replace). Where the reason's detail holds a time or a count, the sentence names it.
import { isIsoSeconds, isoTime } from '../protocol/iso-time.js';
import type { ReasonCode } from './reason-codes.js';

/** The fixed sentence for each code; `satisfies` makes a code without one a compile error. */
export const REASON_TEXTS = {
  unknown_key_group: "the key's group is not in the active policy, so nothing is signed with this key until a policy names the group",
  chain_not_allowed: "the chain is not in the key group's allowlist in the active policy",
  asset_not_allowed: "the asset is not in the key group's list of assets in the active policy; an asset that is absent is denied",
  contract_creation_not_allowed: 'this key group may not deploy contracts (a transaction without a recipient)',
  calldata_not_allowed: "the transaction calls a contract (or a function of it) that the key group's policy does not allow",
  value_with_token_call: 'a token transfer may not also send native coin in the same transaction',
  sweep_only: 'a sweep group signs only transfers to its fixed sweep address',
  not_whitelisted: "the destination is not on the key group's whitelist for this chain; an admin quorum must whitelist it first (and then it waits the group's hold)",
  whitelist_hold: "the destination was whitelisted less than the group's hold ago; it can be signed when the hold ends",
  per_tx_limit: "the amount is above the key group's per-transaction limit for this asset",
  window_amount: "the amount would take the key's spending in a rolling window above the window's limit; it can be signed once earlier spending leaves the window",
  window_count: 'the key has signed as many transfers in a rolling window as the window allows; it can be signed once earlier transfers leave the window',
  travel_rule_missing: "the amount is above the asset's travel-rule threshold, so the request must name the hash of its travel-rule payload",
  needs_approval: 'the policy asks distinct approvers to approve this request before it is signed; it waits for them',
  gas_limit_above_cap: "the transaction's gas limit is above the chain's cap in the policy",
  fee_above_cap: "the transaction's worst-case fee (gas limit times max fee per gas) is above the chain's cap in the policy",
  fee_bump_too_small: 'replacing a transaction at a nonce already signed needs every fee field raised by at least 10%',
  nonce_conflict: 'the key already signed a different transaction at this nonce; only a fee bump of it or a cancel may be signed there',
  unlimited_approval: 'an unlimited token allowance is not allowed for this asset by the policy',
  approval_above_cap: "the allowance granted is above the asset's approval cap in the policy",
  allowance_total_above_cap: "the spender's outstanding allowance would go above the asset's approval cap in the policy",
  typed_domain_not_allowed: "the typed data's domain (chain and verifying contract) is not allowlisted for the key group",
  typed_type_not_allowed: 'the firmware does not decode this typed-data type and the policy does not allowlist its type hash for the domain',
  typed_batch_tokens: 'a typed-data signature may move or grant exactly one token (one signature reserves one asset)',
  typed_from_not_signer: "the typed data moves tokens of an address other than the signing key's",
  typed_owner_not_signer: "the permit grants an allowance over tokens of an address other than the signing key's",
  unknown_principal: 'the requester named is not a principal of the active policy',
  requester_not_allowed: 'the principal named does not hold the role this request needs in the active policy',
  requester_group_not_allowed: 'the requester may not use keys of this key group under the active policy',
  request_unsigned: "the policy asks that this request be signed with the requester's request key, and it is not",
  requester_has_no_key: 'the policy gives this requester no request key, so its signed request cannot be checked',
  request_expired: "the requester's signature on the request has expired; send the request again with a fresh signature",
  request_lifetime_too_long: "the requester's signature is meant to outlive the policy's approval lifetime; sign it with a shorter lifetime",
  request_bad_signature: "the requester's signature does not verify with its key over this request",
  safe_not_allowed: 'the Safe is not one the key group may co-sign for on this chain in the active policy',
  safe_delegatecall: "a Safe transaction that delegatecalls runs foreign code with the Safe's funds, and the appliance never co-signs one",
  safe_gas_refund: "the Safe transaction pays a gas refund (gas price, gas token or refund receiver set), which the key group's policy does not allow to this receiver",
} as const satisfies Record<ReasonCode, string>;

const text = (code: string): string | undefined => (Object.hasOwn(REASON_TEXTS, code) ? REASON_TEXTS[code as ReasonCode] : undefined);

/** The sentence for a reason, with the times and counts its detail holds; undefined for a code outside the list. */
export function reasonExplanation(code: string, detail?: Readonly<Record<string, unknown>> | null): string | undefined {
  const fixed = text(code);
  if (fixed === undefined) return undefined;
  if (code === 'whitelist_hold' && isIsoSeconds(detail?.activeAt)) {
    return `the destination was whitelisted less than the group's hold ago; it can be signed from ${isoTime(detail.activeAt)}`;
  }
  if (code === 'needs_approval' && typeof detail?.required === 'number' && typeof detail.valid === 'number') {
    return `${fixed}: ${detail.required} distinct approvals are needed and ${detail.valid} valid ones are counted`;
  }
  return fixed;
}
