// Rule: co-signing a Safe transaction (SafeTx, EIP-712) as one of the Safe's owners. The signature
// lets the Safe make its call once enough owners signed, so the key signs only what the group could
// send itself:
// - the Safe (the domain's chainId and verifyingContract) must be listed in the group's `safes`, on a
//   chain the group signs for (else safe_not_allowed / chain_not_allowed);
// - operation must be 0 (call): a delegatecall runs another contract's code as the Safe itself (it
//   could move anything, or change the owners), which the firmware cannot read (safe_delegatecall);
// - no gas refund (gasPrice, gasToken and refundReceiver all zero): a refund pays the Safe's funds to
//   whoever the refund names. A Safe entry with allowGasRefund admits one to a whitelisted refund
//   receiver only (never the zero address, which pays whoever executes it) (safe_gas_refund);
// - the Safe's nonce is guarded like an account nonce (rules/nonce-guard.ts): once a SafeTx is signed
//   at (chain, Safe, nonce), by any key of the device, another SafeTx at that nonce is refused
//   (nonce_conflict); the same SafeTx again (an exact retry, or a second key of the device co-signing
//   it) is judged again in full, and counted again for the key that signs it;
// - the inner call (to, value, data) is judged exactly like a transaction of the key's group
//   (judge-call.ts): calldata rules, asset, whitelist, per-transaction limit, allowance caps of an
//   ERC-20 approve, the key's rolling windows (reserved with the decision) and approval tiers, which
//   approvers sign over the EIP-712 digest. Typed data names no travel-rule payload, so a transfer
//   above the travel-rule amount is refused.
import { equalBytes } from '../../protocol/bytes.js';
import type { Decision, Reason } from '../decision.js';
import type { StateView } from '../state-view.js';
import type { Approval } from '../approvals/statement.js';
import type { Now } from '../device-time.js';
import { safeInnerIntent, safeRefundsGas, SAFE_OPERATION_CALL, type SafeTx } from '../evm/safe-tx.js';
import { judgeCall } from '../judge-call.js';
import { checkChainAllowlist } from './chain-allowlist.js';
import { checkWhitelist } from './whitelist-hold.js';
import { checkVelocityWindows } from './velocity-window.js';
import { requiredApprovals, tallyApprovals } from './approval-tier.js';
import type { TypedTransferContext } from './typed-transfer.js';

const hex = (b: Uint8Array) => '0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** The nonce guard's key for a Safe: its records sit beside the keys' own (key ids are `k-…`, never `safe:…`). */
export function safeGuardKeyId(safe: Uint8Array): string {
  return `safe:${hex(safe)}`;
}

const noTally = (): Decision['approvals'] => ({ required: 0, counted: [], rejected: [] });

export function checkSafeTx(ctx: TypedTransferContext, view: StateView, chainId: bigint | null, tx: SafeTx, approvals: readonly Approval[], now: Now): Decision {
  const deny = (reasons: Reason[], tally = noTally()): Decision => ({ outcome: 'deny', reasons, approvals: tally });
  const safe = tx.safe;
  const entry = chainId !== null && safe !== null ? (ctx.group.safes ?? []).find((x) => x.chainId === chainId && equalBytes(x.address, safe)) : undefined;
  if (!entry || chainId === null || safe === null) {
    return deny([
      {
        rule: 'safe',
        code: 'safe_not_allowed',
        message: 'the Safe (the domain chainId and verifyingContract) is not one this key group may co-sign for',
        detail: { chainId, safe },
      },
    ]);
  }
  const chain = checkChainAllowlist(ctx.group, chainId);
  if (chain.length > 0) return deny(chain);
  if (tx.operation !== SAFE_OPERATION_CALL) {
    return deny([
      {
        rule: 'safe',
        code: 'safe_delegatecall',
        message: 'a Safe transaction must be a call (operation 0): a delegatecall runs code the firmware cannot read as the Safe itself',
        detail: { operation: tx.operation },
      },
    ]);
  }
  const reasons: Reason[] = [];
  if (safeRefundsGas(tx)) {
    const receiverSet = tx.refundReceiver.some((b) => b !== 0);
    if (entry.allowGasRefund !== true || !receiverSet) {
      reasons.push({
        rule: 'safe',
        code: 'safe_gas_refund',
        message:
          entry.allowGasRefund === true
            ? 'a gas refund must name its refund receiver (zero pays whoever executes it)'
            : 'the Safe transaction pays a gas refund, which the policy does not allow for this Safe',
        detail: { gasPrice: tx.gasPrice, gasToken: tx.gasToken, refundReceiver: tx.refundReceiver },
      });
    } else {
      reasons.push(...checkWhitelist(ctx.group, ctx.keyGroup, view, chainId, tx.refundReceiver, now));
    }
  }
  const guardKey = safeGuardKeyId(safe);
  const record = view.nonceRecord?.(guardKey, chainId, tx.nonce);
  if (record && !equalBytes(record.intentDigest, ctx.digest)) {
    reasons.push({
      rule: 'nonce-guard',
      code: 'nonce_conflict',
      message: 'another Safe transaction was already signed at this Safe nonce',
      detail: { safe, nonce: tx.nonce, signedIntent: record.intentDigest },
    });
  }
  const inner = safeInnerIntent(ctx.keyId, chainId, tx);
  const call = judgeCall({ group: ctx.group, keyGroup: ctx.keyGroup, grantOrder: null, refresh: false }, view, inner, now);
  reasons.push(...call.reasons);
  const rules = call.rules;
  if (!rules) return deny(reasons);
  if (call.counted) reasons.push(...checkVelocityWindows(rules, view, ctx.keyId, inner.asset, call.charge, now));
  const required = requiredApprovals(rules, call.charge);
  const tally = required === 0 ? noTally() : tallyApprovals(ctx.policy, required, ctx.digest, ctx.requester, approvals, now, view);
  if (reasons.length > 0) return deny(reasons, tally);
  if (tally.counted.length < required) {
    return {
      outcome: 'needs_approval',
      reasons: [{ rule: 'approval-tier', code: 'needs_approval', message: `${required} distinct approvals needed, ${tally.counted.length} valid`, detail: { required, valid: tally.counted.length } }],
      approvals: tally,
    };
  }
  return {
    outcome: 'allow',
    reasons: [],
    approvals: tally,
    ...(call.counted ? { reserve: { keyId: ctx.keyId, asset: inner.asset, amount: call.charge } } : {}),
    ...(call.allowance ? { allowance: call.allowance } : {}),
    guardRecord: { keyId: guardKey, chainId, nonce: tx.nonce, intentDigest: ctx.digest },
  };
}
