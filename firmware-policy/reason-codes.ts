// The closed set of reason codes the evaluator gives with a denial or a request for approvals
// (docs/policy.md): the `code` of every Reason in a Decision, as it travels in the audit entry and on
// the wire. `Reason.code` is a `ReasonCode`, so a rule cannot invent a code this list does not hold.
export const REASON_CODES = [
  // key group, chain and asset (evaluate.ts, rules/chain-allowlist.ts, rules/typed-data.ts)
  'unknown_key_group',
  'chain_not_allowed',
  'asset_not_allowed',
  // calldata (evaluate.ts, rules/contract-call.ts)
  'contract_creation_not_allowed',
  'calldata_not_allowed',
  'value_with_token_call',
  // sweep groups (rules/sweep-only.ts, rules/typed-data.ts)
  'sweep_only',
  // recipient whitelist (rules/whitelist-hold.ts)
  'not_whitelisted',
  'whitelist_hold',
  // amounts (rules/per-tx-limit.ts, rules/velocity-window.ts)
  'per_tx_limit',
  'window_amount',
  'window_count',
  // travel rule (rules/travel-rule.ts)
  'travel_rule_missing',
  // approval tiers (evaluate.ts, rules/typed-transfer.ts, rules/typed-grant.ts)
  'needs_approval',
  // fees and nonces (rules/fee-cap.ts, rules/nonce-guard.ts; a Safe's nonce: rules/safe-tx.ts)
  'gas_limit_above_cap',
  'fee_above_cap',
  'fee_bump_too_small',
  'nonce_conflict',
  // token allowances (rules/token-allowance.ts)
  'unlimited_approval',
  'approval_above_cap',
  'allowance_total_above_cap',
  // typed data (rules/typed-data.ts, rules/typed-transfer.ts, rules/typed-grant.ts, rules/permit2-transfer.ts)
  'typed_domain_not_allowed',
  'typed_type_not_allowed',
  'typed_batch_tokens',
  'typed_from_not_signer',
  'typed_owner_not_signer',
  // Safe co-signing (rules/safe-tx.ts; the inner call is judged by the transaction rules above)
  'safe_not_allowed',
  'safe_delegatecall',
  'safe_gas_refund',
  // the requester (principals.ts)
  'unknown_principal',
  'requester_not_allowed',
  // signed requests (request-stamp.ts)
  'requester_group_not_allowed',
  'request_unsigned',
  'requester_has_no_key',
  'request_expired',
  'request_lifetime_too_long',
  'request_bad_signature',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export function isReasonCode(x: unknown): x is ReasonCode {
  return typeof x === 'string' && (REASON_CODES as readonly string[]).includes(x);
}
