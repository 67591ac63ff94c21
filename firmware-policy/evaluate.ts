// The firmware policy: a pure, deterministic function from (policy, state view, decoded intent,
// approvals, now) to a decision (DESIGN.md "Processes"). No I/O, no clock, no randomness: `now` is
// an argument (both bounds of the device's time, firmware-policy/device-time.ts) and the state is a
// read-only view.
import type { AllowanceUpdate, Decision, Reason } from './decision.js';
import { groupOf, ownEntry, type PolicyDocument } from './policy-document.js';
import type { StateView } from './state-view.js';
import { intentDigest, type TransferIntent } from './intent.js';
import type { Approval } from './approvals/statement.js';
import { checkChainAllowlist } from './rules/chain-allowlist.js';
import { checkWhitelist } from './rules/whitelist-hold.js';
import { checkPerTxLimit } from './rules/per-tx-limit.js';
import { checkTravelRule } from './rules/travel-rule.js';
import { checkVelocityWindows } from './rules/velocity-window.js';
import { requiredApprovals, tallyApprovals } from './rules/approval-tier.js';
import { checkNonce, type NonceMode } from './rules/nonce-guard.js';
import { checkFeeCap } from './rules/fee-cap.js';
import { allowanceModeOf, judgeAllowanceGrant } from './rules/token-allowance.js';
import { checkContractCall } from './rules/contract-call.js';
import { checkSweepOnly } from './rules/sweep-only.js';
import type { Now } from './device-time.js';
import { requesterReasons, type RequestAuth } from './request-stamp.js';

export interface EvaluationRequest {
  intent: TransferIntent;
  /** Key group of the signing key, from the device's key registry. */
  keyGroup: string;
  /** The principal that asked (a requester of the policy, else denied); it may not approve its own request. */
  requester: string;
  /** The signing key's own address (a cancel sends 0 to it at a used nonce). */
  keyAddress?: Uint8Array;
  /** A new request's stamp and what it covers (request-stamp.ts); absent when a request is judged again for its approvals. */
  requestAuth?: RequestAuth;
  /** SHA-256 of the request's travel-rule payload, when it names one (rules/travel-rule.ts). */
  travelRuleHash?: Uint8Array;
}

const noTally = (): Decision['approvals'] => ({ required: 0, counted: [], rejected: [] });

export function evaluate(policy: PolicyDocument, view: StateView, req: EvaluationRequest, approvals: readonly Approval[], now: Now): Decision {
  const { intent } = req;
  const who = requesterReasons(policy, req.requester, req.keyGroup, req.requestAuth, now).reasons;
  const group = groupOf(policy, req.keyGroup);
  if (!group) {
    return deny([...who, { rule: 'key-group', code: 'unknown_key_group', message: 'the key group is not in the active policy', detail: { group: req.keyGroup } }]);
  }
  const digest = intentDigest(intent);
  const nonce = checkNonce(view, intent, digest, req.keyAddress);
  const reasons: Reason[] = [...who, ...checkChainAllowlist(group, intent.chainId), ...checkFeeCap(policy, intent)];
  if (nonce.mode === 'cancel') {
    // A cancel moves no value: only the chain, the fee cap and the nonce guard's fee rule apply.
    reasons.push(...nonce.reasons);
    return reasons.length > 0 ? deny(reasons, 'cancel') : { outcome: 'allow', reasons: [], approvals: noTally(), nonceMode: 'cancel' };
  }
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
    return deny(reasons);
  }
  // The whitelist applies to whoever receives value or control: the recipient of a native or token
  // transfer, the spender of an allowance (a revoke, approve(spender, 0), grants nothing), and an
  // allowlisted contract that is sent native value (the allowlist admits the call, not a payee). A
  // sweep group's one recipient is named by the policy itself, so it needs no whitelist entry.
  const mode = intent.kind === 'erc20-approve' ? allowanceModeOf(intent.data) : undefined;
  const receives = intent.kind === 'contract-call' ? intent.amount > 0n : !(mode === 'set' && intent.amount === 0n);
  if (intent.to !== null && receives && group.sweepTo === undefined) reasons.push(...checkWhitelist(group, req.keyGroup, view, intent.chainId, intent.to, now));
  // What the windows and approval tiers count: the amount moved, or the allowance granted.
  let charge = intent.amount;
  let allowance: AllowanceUpdate | undefined;
  if (intent.kind === 'erc20-approve' && mode !== undefined && intent.to !== null) {
    const grant = judgeAllowanceGrant(rules, view, { keyId: intent.keyId, asset: intent.asset, spender: intent.to, mode, amount: intent.amount, order: intent.nonce }, nonce.mode === 'bump');
    reasons.push(...grant.reasons);
    charge = grant.charge;
    allowance = grant.next;
  } else {
    reasons.push(...checkPerTxLimit(rules, intent.amount));
    // A transfer (native, token, or native value sent with a contract call) above the travel-rule amount names its payload.
    if (intent.kind !== 'erc20-approve') reasons.push(...checkTravelRule(rules, intent.amount, req.travelRuleHash));
  }
  reasons.push(...nonce.reasons);
  if (nonce.mode === 'bump') {
    // The same intent again with higher fees: its spend and approvals were counted when it was
    // first signed; the recipient and limits are checked again, since stricter rules apply at once.
    return reasons.length > 0 ? deny(reasons, 'bump') : { outcome: 'allow', reasons: [], approvals: noTally(), nonceMode: 'bump' };
  }
  // A grant that adds no counted capability (a revoke, or an unlimited grant, judged by its own rule) is not counted.
  const counted = allowance === undefined || charge > 0n;
  if (counted) reasons.push(...checkVelocityWindows(rules, view, intent.keyId, intent.asset, charge, now));

  const required = requiredApprovals(rules, charge);
  const tally = required === 0 ? noTally() : tallyApprovals(policy, required, digest, req.requester, approvals, now, view);
  if (reasons.length > 0) return { outcome: 'deny', reasons, approvals: tally, nonceMode: 'first' };
  if (tally.counted.length < required) {
    return {
      outcome: 'needs_approval',
      reasons: [{ rule: 'approval-tier', code: 'needs_approval', message: `${required} distinct approvals needed, ${tally.counted.length} valid`, detail: { required, valid: tally.counted.length } }],
      approvals: tally,
      nonceMode: 'first',
    };
  }
  return {
    outcome: 'allow',
    reasons: [],
    approvals: tally,
    ...(counted ? { reserve: { keyId: intent.keyId, asset: intent.asset, amount: charge } } : {}),
    ...(allowance ? { allowance } : {}),
    nonceMode: 'first',
  };
}

function deny(reasons: Reason[], nonceMode: NonceMode = 'first'): Decision {
  return { outcome: 'deny', reasons, approvals: noTally(), nonceMode };
}
