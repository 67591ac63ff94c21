// Rule: an ERC-20 allowance (approve, increaseAllowance, or a Permit / Permit2 signature) is spending
// capability, judged like a transfer of that amount to the spender:
// - the spender must be whitelisted (checked by the caller; a revoke, approve(spender, 0), grants
//   nothing and needs no whitelist entry);
// - one grant stays within the asset's approval cap (default: its per-transaction limit), and an
//   unlimited allowance (2^256-1) is denied unless the policy allows it for that asset;
// - the spender's outstanding allowance after the grant stays within the same cap, so repeated
//   increaseAllowance calls cannot pile up past it;
// - the grant is charged to the token's rolling windows and approval tiers (the caller reserves it
//   durably like a transfer), in full: the device cannot see what the spender already pulled, so
//   approve(spender, 50) after an earlier 50 may let it pull 50 more. Three approvals of 50 are 150
//   of capability, and count as 150.
// The outstanding allowance the device keeps is an upper bound of what the spender may hold:
// approve in nonce order sets it to the larger of the two (ERC-20 replaces the allowance, but the
// device cannot see whether that transaction executes, so a lower set, a revoke included, never
// lowers the bound); increaseAllowance adds to it; a set that may
// land out of order (a lower transaction nonce than one already signed, or a Permit, which can be
// submitted at any time before its deadline) adds too, since it may be followed by increases the
// device already counted. A signed grant also marks the row (its order becomes SIGNED_GRANT_ORDER,
// above every transaction nonce): the device cannot know whether or when the signature lands, nor,
// for Permit2, whose allowance is a separate slot held by the Permit2 contract, can an approve replace
// it; so every later approve adds instead of replacing.
import type { AssetRules } from '../policy-document.js';
import type { AllowanceUpdate, Reason, Reservation } from '../decision.js';
import type { StateView } from '../state-view.js';
import { MAX_UINT256, TOKEN_CALL_SELECTORS } from '../evm/erc20-calldata.js';
import { checkVelocityWindows } from './velocity-window.js';
import { requiredApprovals } from './approval-tier.js';
import type { Now } from '../device-time.js';

/** The order a signed grant leaves in the row: above any transaction nonce (EIP-2681: below 2^64), so no approve is "in order" after it. */
export const SIGNED_GRANT_ORDER = 1n << 64n;

/** How a grant changes the allowance: `set` replaces it (approve, Permit), `increase` adds to it. */
export type AllowanceMode = 'set' | 'increase';

export interface AllowanceGrant {
  keyId: string;
  /** The token's asset id, e.g. "31337:erc20:0x…". */
  asset: string;
  spender: Uint8Array;
  mode: AllowanceMode;
  amount: bigint;
  /** The transaction nonce that orders this grant among the key's approves; null for a Permit signature. */
  order: bigint | null;
}

export interface AllowanceJudgement {
  reasons: Reason[];
  /** What the grant costs in the token's windows and approval tiers (0 for a revoke or an unlimited grant). */
  charge: bigint;
  /** The outstanding allowance to record durably with the decision, before the key is used. */
  next: AllowanceUpdate;
}

/** The per-grant cap: unlimited only when the policy allows it, otherwise at most the approval cap. */
export function checkAllowance(rules: AssetRules, amount: bigint): Reason[] {
  if (amount === MAX_UINT256) {
    return rules.allowUnlimitedApproval === true ? [] : [{ rule: 'allowance', code: 'unlimited_approval', message: 'an unlimited allowance is not allowed for this asset' }];
  }
  const cap = approvalCap(rules);
  if (amount <= cap) return [];
  return [{ rule: 'allowance', code: 'approval_above_cap', message: "the allowance is above the asset's approval cap", detail: { amount, cap } }];
}

export function approvalCap(rules: AssetRules): bigint {
  return rules.approvalCap ?? rules.perTxMax;
}

const selectorIs = (data: Uint8Array, hex: string) => data.length >= 4 && Array.from(data.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('') === hex;

/** The mode of an approve / increaseAllowance call, from its calldata's selector. */
export function allowanceModeOf(calldata: Uint8Array): AllowanceMode {
  return selectorIs(calldata, TOKEN_CALL_SELECTORS.increaseAllowance) ? 'increase' : 'set';
}

/**
 * Judges one grant against the spender's outstanding allowance (read through the view, so it is
 * recorded for replay). The caller adds the whitelist check, charges `charge` to the windows and
 * approval tiers, and on allow records `next`. A fee bump of a grant already signed is judged
 * with `refresh`: the per-grant cap only, nothing charged or changed again.
 */
export function judgeAllowanceGrant(rules: AssetRules, view: StateView, g: AllowanceGrant, refresh = false): AllowanceJudgement {
  const reasons = checkAllowance(rules, g.amount);
  const prev = view.allowance?.(g.keyId, g.asset, g.spender);
  const prevAmount = prev?.amount ?? 0n;
  const prevNonce = prev?.nonce ?? null;
  const inOrder = g.mode === 'set' && g.order !== null && (prevNonce === null || g.order > prevNonce);
  // An in-order set replaces the allowance on chain, but only if it executes, which the device cannot
  // see (it may be cancelled at its nonce, run out of gas, or be signed at a nonce that never lands):
  // so it never lowers the bound. A revoke therefore leaves the bound where it was.
  const sum = inOrder ? (g.amount > prevAmount ? g.amount : prevAmount) : prevAmount + g.amount;
  const amount = sum > MAX_UINT256 ? MAX_UINT256 : sum;
  const nonce = g.order === null ? SIGNED_GRANT_ORDER : prevNonce === null || g.order > prevNonce ? g.order : prevNonce;
  const next: AllowanceUpdate = { keyId: g.keyId, asset: g.asset, spender: g.spender, amount, nonce };
  if (refresh) return { reasons, charge: 0n, next };
  // An unlimited grant is judged by checkAllowance alone (denied unless the policy allows it); once
  // allowed, neither it nor a grant on top of it adds capability to count.
  if (g.amount === MAX_UINT256 || (amount === MAX_UINT256 && rules.allowUnlimitedApproval === true)) return { reasons, charge: 0n, next };
  const cap = approvalCap(rules);
  if (reasons.length === 0 && amount > cap) {
    reasons.push({
      rule: 'allowance',
      code: 'allowance_total_above_cap',
      message: "the spender's outstanding allowance would be above the asset's approval cap",
      detail: { outstanding: prevAmount, amount: g.amount, total: amount, cap },
    });
  }
  return { reasons, charge: g.amount, next };
}

/**
 * A grant made by a signature rather than a transaction: an EIP-2612 Permit, or one token of a
 * Permit2 PermitSingle/PermitBatch. It sets the allowance, but may be submitted at any time before
 * its deadline, so it adds to the outstanding allowance. Everything a transaction grant gets from
 * evaluate() is here, for the typed-data path to use the same way: the per-grant and outstanding
 * caps, the token's windows and the approval tier of the charge. The caller adds the spender's
 * whitelist check, tallies `required` approvals, and on allow reserves `reserve` and records
 * `allowance` durably (in the commit of the decision) before the key is used.
 */
export function judgeSignedGrant(
  rules: AssetRules,
  view: StateView,
  g: { keyId: string; asset: string; spender: Uint8Array; amount: bigint },
  now: Now,
): { reasons: Reason[]; required: number; reserve?: Reservation; allowance: AllowanceUpdate } {
  const grant = judgeAllowanceGrant(rules, view, { ...g, mode: 'set', order: null });
  const reasons = [...grant.reasons];
  if (grant.charge > 0n) reasons.push(...checkVelocityWindows(rules, view, g.keyId, g.asset, grant.charge, now));
  return {
    reasons,
    required: requiredApprovals(rules, grant.charge),
    ...(grant.charge > 0n ? { reserve: { keyId: g.keyId, asset: g.asset, amount: grant.charge } } : {}),
    allowance: grant.next,
  };
}
