// Rule: an allowance granted by a signature (EIP-2612 Permit, Permit2 AllowanceTransfer PermitSingle
// and PermitBatch) is spending capability, judged exactly like approve (rules/token-allowance.ts,
// judgeSignedGrant): the token must be an allowed asset of the group, the spender whitelisted (after
// its hold; a revoke, amount 0, needs no entry), the grant within the approval cap (unlimited refused
// unless the policy allows it), the spender's outstanding allowance after it within the same cap, and
// the amount charged to the token's rolling windows (reserved with the decision) and approval tiers.
// On allow the decision carries the outstanding allowance, recorded in the same commit.
// - Permit names its owner: it must be the signing key (else typed_owner_not_signer). A Permit2 grant
//   is the signer's own; Permit2 holds it, but it is tracked in the same (key, token, spender) row as
//   approve, so approve + Permit2 cannot pile up past the cap.
// - "Unlimited" is the form's own maximum: 2^256-1 for Permit (and DAI's allowed=true), 2^160-1 for
//   Permit2 (which then never decrements it); either is judged as an unlimited allowance.
// - A PermitBatch's amounts are summed per token (Permit2 applies the entries in turn, so the sum is an
//   upper bound of what the spender ends with). One signature reserves one asset and records one
//   allowance, so a batch of more than one token is refused (typed_batch_tokens).
import { equalBytes } from '../../protocol/bytes.js';
import type { Decision, Reason } from '../decision.js';
import { erc20AssetId, ownEntry } from '../policy-document.js';
import type { StateView } from '../state-view.js';
import type { Approval } from '../approvals/statement.js';
import type { Now } from '../device-time.js';
import { MAX_UINT256 } from '../evm/erc20-calldata.js';
import { checkWhitelist } from './whitelist-hold.js';
import { judgeSignedGrant } from './token-allowance.js';
import { tallyApprovals } from './approval-tier.js';
import type { TypedTransferContext } from './typed-transfer.js';

/** Permit2's unlimited allowance: type(uint160).max. */
export const MAX_UINT160 = (1n << 160n) - 1n;

export interface TypedGrant {
  chainId: bigint;
  /** The owner the message names (Permit); null when the owner is whoever signs (Permit2). */
  owner: Uint8Array | null;
  spender: Uint8Array;
  tokens: readonly { token: Uint8Array; amount: bigint }[];
  /** The amount that means "unlimited" in this form. */
  unlimited: bigint;
}

const noTally = (): Decision['approvals'] => ({ required: 0, counted: [], rejected: [] });

export function checkTypedGrant(ctx: TypedTransferContext, view: StateView, g: TypedGrant, approvals: readonly Approval[], now: Now): Decision {
  const deny = (reasons: Reason[], approvalsTally = noTally()): Decision => ({ outcome: 'deny', reasons, approvals: approvalsTally });
  const totals: { token: Uint8Array; amount: bigint }[] = [];
  for (const { token, amount } of g.tokens) {
    const a = amount >= g.unlimited ? MAX_UINT256 : amount;
    const seen = totals.find((x) => equalBytes(x.token, token));
    if (seen) seen.amount = seen.amount === MAX_UINT256 || a === MAX_UINT256 ? MAX_UINT256 : seen.amount + a;
    else totals.push({ token, amount: a });
  }
  const only = totals[0];
  if (totals.length !== 1 || only === undefined) {
    return deny([
      {
        rule: 'typed-data',
        code: 'typed_batch_tokens',
        message: 'a Permit2 allowance signature must grant exactly one token (one signature reserves one asset and records one allowance)',
        detail: { tokens: totals.length },
      },
    ]);
  }
  const reasons: Reason[] = [];
  if (g.owner !== null && !equalBytes(g.owner, ctx.keyAddress)) {
    reasons.push({ rule: 'typed-data', code: 'typed_owner_not_signer', message: 'the permit grants an allowance over tokens of an address other than the signing key' });
  }
  const asset = erc20AssetId(g.chainId, only.token);
  const rules = ownEntry(ctx.group.assets, asset);
  if (!rules) {
    reasons.push({ rule: 'asset', code: 'asset_not_allowed', message: `asset ${asset} is not allowed for this key group`, detail: { asset } });
    return deny(reasons);
  }
  if (only.amount > 0n) reasons.push(...checkWhitelist(ctx.group, ctx.keyGroup, view, g.chainId, g.spender, now));
  const grant = judgeSignedGrant(rules, view, { keyId: ctx.keyId, asset, spender: g.spender, amount: only.amount }, now);
  reasons.push(...grant.reasons);
  const tally = grant.required === 0 ? noTally() : tallyApprovals(ctx.policy, grant.required, ctx.digest, ctx.requester, approvals, now, view);
  if (reasons.length > 0) return deny(reasons, tally);
  if (tally.counted.length < grant.required) {
    return {
      outcome: 'needs_approval',
      reasons: [
        {
          rule: 'approval-tier',
          code: 'needs_approval',
          message: `${grant.required} distinct approvals needed, ${tally.counted.length} valid`,
          detail: { required: grant.required, valid: tally.counted.length },
        },
      ],
      approvals: tally,
    };
  }
  return { outcome: 'allow', reasons: [], approvals: tally, ...(grant.reserve ? { reserve: grant.reserve } : {}), allowance: grant.allowance };
}
