// Rule: an EIP-3009 TransferWithAuthorization / ReceiveWithAuthorization moves tokens as soon as
// anyone submits it, so it is judged exactly like an ERC-20 transfer of the same token: the token must
// be an allowed asset of the group, the signing key must be the `from`, the recipient must be
// whitelisted (after its hold), the amount within the per-transaction limit and the token's rolling
// windows (which it then uses up: the decision reserves it), with the same approval tiers. Typed data
// names no travel-rule payload, so one above the token's travel-rule amount is denied.
import { equalBytes } from '../../protocol/bytes.js';
import type { Decision, Reason } from '../decision.js';
import type { GroupPolicy, PolicyDocument } from '../policy-document.js';
import { erc20AssetId, ownEntry } from '../policy-document.js';
import type { StateView } from '../state-view.js';
import type { Approval } from '../approvals/statement.js';
import type { Now } from '../device-time.js';
import { checkChainAllowlist } from './chain-allowlist.js';
import { checkWhitelist } from './whitelist-hold.js';
import { checkPerTxLimit } from './per-tx-limit.js';
import { checkTravelRule } from './travel-rule.js';
import { checkVelocityWindows } from './velocity-window.js';
import { requiredApprovals, tallyApprovals } from './approval-tier.js';

export interface TypedTransfer {
  chainId: bigint;
  token: Uint8Array;
  from: Uint8Array;
  to: Uint8Array;
  value: bigint;
}

export interface TypedTransferContext {
  policy: PolicyDocument;
  group: GroupPolicy;
  keyGroup: string;
  keyId: string;
  /** The signing key's address: an authorisation from anyone else is not the key's to give. */
  keyAddress: Uint8Array;
  requester: string;
  /** The approval statements name this digest (the EIP-712 signing digest). */
  digest: Uint8Array;
}

const noTally = (): Decision['approvals'] => ({ required: 0, counted: [], rejected: [] });

export function checkTypedTransfer(ctx: TypedTransferContext, view: StateView, t: TypedTransfer, approvals: readonly Approval[], now: Now): Decision {
  const asset = erc20AssetId(t.chainId, t.token);
  const reasons: Reason[] = [...checkChainAllowlist(ctx.group, t.chainId)];
  if (!equalBytes(t.from, ctx.keyAddress)) {
    reasons.push({ rule: 'typed-data', code: 'typed_from_not_signer', message: 'the authorisation moves tokens of an address other than the signing key' });
  }
  const rules = ownEntry(ctx.group.assets, asset);
  if (!rules) {
    reasons.push({ rule: 'asset', code: 'asset_not_allowed', message: `asset ${asset} is not allowed for this key group`, detail: { asset } });
    return { outcome: 'deny', reasons, approvals: noTally() };
  }
  reasons.push(...checkWhitelist(ctx.group, ctx.keyGroup, view, t.chainId, t.to, now));
  reasons.push(...checkPerTxLimit(rules, t.value));
  // sign.typed-data carries no travel-rule hash: an authorised transfer above the travel-rule amount is denied.
  reasons.push(...checkTravelRule(rules, t.value, undefined));
  reasons.push(...checkVelocityWindows(rules, view, ctx.keyId, asset, t.value, now));
  const required = requiredApprovals(rules, t.value);
  const tally = required === 0 ? noTally() : tallyApprovals(ctx.policy, required, ctx.digest, ctx.requester, approvals, now, view);
  if (reasons.length > 0) return { outcome: 'deny', reasons, approvals: tally };
  if (tally.counted.length < required) {
    return {
      outcome: 'needs_approval',
      reasons: [{ rule: 'approval-tier', code: 'needs_approval', message: `${required} distinct approvals needed, ${tally.counted.length} valid`, detail: { required, valid: tally.counted.length } }],
      approvals: tally,
    };
  }
  return { outcome: 'allow', reasons: [], approvals: tally, reserve: { keyId: ctx.keyId, asset, amount: t.value } };
}
