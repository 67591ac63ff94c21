// What a call does to the key group's funds, judged by the group's rules: the calldata rules (sweep
// groups, contract creation, contract calls by allowlist, calldata on a plain transfer, native value
// with a token call), the asset, the whitelist of whoever receives value or control, the
// per-transaction limit and travel rule of a transfer, or the allowance caps of a grant. Shared by a
// transaction (evaluate.ts) and the inner call of a Safe transaction (rules/safe-tx.ts), so both are
// judged by the same rules. The caller adds the nonce guard, the rolling windows (of `charge`, when
// `counted`) and the approval tiers.
import type { AllowanceUpdate, Reason } from './decision.js';
import { ownEntry, type AssetRules, type GroupPolicy } from './policy-document.js';
import type { StateView } from './state-view.js';
import type { TransferIntent } from './intent.js';
import type { Now } from './device-time.js';
import { checkWhitelist } from './rules/whitelist-hold.js';
import { checkPerTxLimit } from './rules/per-tx-limit.js';
import { checkTravelRule } from './rules/travel-rule.js';
import { allowanceModeOf, judgeAllowanceGrant } from './rules/token-allowance.js';
import { checkContractCall } from './rules/contract-call.js';
import { checkSweepOnly } from './rules/sweep-only.js';

export interface CallContext {
  group: GroupPolicy;
  keyGroup: string;
  /** SHA-256 of the request's travel-rule payload, when it names one. */
  travelRuleHash?: Uint8Array;
  /** The order of an allowance grant among the key's approves: the transaction nonce, or null when the grant may land at any time (a Safe call). */
  grantOrder: bigint | null;
  /** A re-sign already counted (a fee bump): an allowance grant is checked against its cap only. */
  refresh: boolean;
}

export interface CallJudgement {
  reasons: Reason[];
  /** The asset's rules; absent when the asset is not allowed (then `reasons` says so and nothing else is judged). */
  rules?: AssetRules;
  /** What the windows and approval tiers count: the amount moved, or the allowance granted. */
  charge: bigint;
  /** The spender's outstanding allowance after a grant. */
  allowance?: AllowanceUpdate;
  /** Whether the charge counts in the windows (a revoke or unlimited grant adds no counted capability). */
  counted: boolean;
}

/** Judges one call; an asset the group does not allow ends the judgement (nothing else can be judged without its rules). */
export function judgeCall(ctx: CallContext, view: StateView, intent: TransferIntent, now: Now): CallJudgement {
  const { group } = ctx;
  const reasons: Reason[] = [];
  if (group.sweepTo !== undefined) {
    // A sweep group: a plain transfer or an ERC-20 transfer to the one address, nothing else.
    reasons.push(...checkSweepOnly(group.sweepTo, intent));
  } else if (intent.to === null) {
    reasons.push({ rule: 'calldata', code: 'contract_creation_not_allowed', message: 'contract creation is not allowed for this key group' });
  } else if (intent.kind === 'contract-call') {
    reasons.push(...checkContractCall(group, intent.chainId, intent.contract ?? intent.to, intent.selector ?? new Uint8Array()));
  } else if (intent.kind === 'evm-transfer' && intent.data.length > 0) {
    reasons.push({ rule: 'calldata', code: 'calldata_not_allowed', message: 'contract calls are not allowed for this key group' });
  }
  if ((intent.kind === 'erc20-transfer' || intent.kind === 'erc20-approve') && (intent.nativeValue ?? 0n) > 0n) {
    reasons.push({ rule: 'calldata', code: 'value_with_token_call', message: 'a token call may not also send native value' });
  }
  const rules = ownEntry(group.assets, intent.asset);
  if (!rules) {
    reasons.push({ rule: 'asset', code: 'asset_not_allowed', message: `asset ${intent.asset} is not allowed for this key group`, detail: { asset: intent.asset } });
    return { reasons, charge: intent.amount, counted: false };
  }
  // The whitelist applies to whoever receives value or control: the recipient of a native or token
  // transfer, the spender of an allowance (a revoke, approve(spender, 0), grants nothing), and an
  // allowlisted contract that is sent native value (the allowlist admits the call, not a payee). A
  // sweep group's one recipient is named by the policy itself, so it needs no whitelist entry.
  const mode = intent.kind === 'erc20-approve' ? allowanceModeOf(intent.data) : undefined;
  const receives = intent.kind === 'contract-call' ? intent.amount > 0n : !(mode === 'set' && intent.amount === 0n);
  if (intent.to !== null && receives && group.sweepTo === undefined) reasons.push(...checkWhitelist(group, ctx.keyGroup, view, intent.chainId, intent.to, now));
  let charge = intent.amount;
  let allowance: AllowanceUpdate | undefined;
  if (intent.kind === 'erc20-approve' && mode !== undefined && intent.to !== null) {
    const grant = judgeAllowanceGrant(rules, view, { keyId: intent.keyId, asset: intent.asset, spender: intent.to, mode, amount: intent.amount, order: ctx.grantOrder }, ctx.refresh);
    reasons.push(...grant.reasons);
    charge = grant.charge;
    allowance = grant.next;
  } else {
    reasons.push(...checkPerTxLimit(rules, intent.amount));
    // A transfer (native, token, or native value sent with a contract call) above the travel-rule amount names its payload.
    if (intent.kind !== 'erc20-approve') reasons.push(...checkTravelRule(rules, intent.amount, ctx.travelRuleHash));
  }
  // A grant that adds no counted capability (a revoke, or an unlimited grant, judged by its own rule) is not counted.
  const counted = allowance === undefined || charge > 0n;
  return { reasons, rules, charge, counted, ...(allowance ? { allowance } : {}) };
}
