// The firmware policy: a pure, deterministic function from (policy, state view, decoded intent,
// approvals, now) to a decision (DESIGN.md "Processes"). No I/O, no clock, no randomness: `now` is
// an argument (both bounds of the device's time, firmware-policy/device-time.ts) and the state is a
// read-only view.
import type { Decision, Reason } from './decision.js';
import { groupOf, type PolicyDocument } from './policy-document.js';
import type { StateView } from './state-view.js';
import { intentDigest, type TransferIntent } from './intent.js';
import type { Approval } from './approvals/statement.js';
import { checkChainAllowlist } from './rules/chain-allowlist.js';
import { checkVelocityWindows } from './rules/velocity-window.js';
import { requiredApprovals, tallyApprovals } from './rules/approval-tier.js';
import { checkNonce, type NonceMode } from './rules/nonce-guard.js';
import { checkFeeCap } from './rules/fee-cap.js';
import type { Now } from './device-time.js';
import { requesterReasons, type RequestAuth } from './request-stamp.js';
import { judgeCall } from './judge-call.js';

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
  // The digest (a canonical encoding and a SHA-256) is needed only at a nonce already signed or
  // for approvals, so it is computed at most once, when first asked for.
  let digest: Uint8Array | undefined;
  const digestOf = () => (digest ??= intentDigest(intent));
  const nonce = checkNonce(view, intent, digestOf, req.keyAddress);
  const reasons: Reason[] = [...who, ...checkChainAllowlist(group, intent.chainId), ...checkFeeCap(policy, intent)];
  if (nonce.mode === 'cancel') {
    // A cancel moves no value: only the chain, the fee cap and the nonce guard's fee rule apply.
    reasons.push(...nonce.reasons);
    return reasons.length > 0 ? deny(reasons, 'cancel') : { outcome: 'allow', reasons: [], approvals: noTally(), nonceMode: 'cancel' };
  }
  const call = judgeCall(
    { group, keyGroup: req.keyGroup, grantOrder: intent.nonce, refresh: nonce.mode === 'bump', ...(req.travelRuleHash ? { travelRuleHash: req.travelRuleHash } : {}) },
    view,
    intent,
    now,
  );
  reasons.push(...call.reasons);
  const rules = call.rules;
  if (!rules) return deny(reasons);
  // What the windows and approval tiers count: the amount moved, or the allowance granted.
  const { charge, allowance, counted } = call;
  reasons.push(...nonce.reasons);
  if (nonce.mode === 'bump') {
    // The same intent again with higher fees: its spend and approvals were counted when it was
    // first signed; the recipient and limits are checked again, since stricter rules apply at once.
    return reasons.length > 0 ? deny(reasons, 'bump') : { outcome: 'allow', reasons: [], approvals: noTally(), nonceMode: 'bump' };
  }
  if (counted) reasons.push(...checkVelocityWindows(rules, view, intent.keyId, intent.asset, charge, now));

  const required = requiredApprovals(rules, charge);
  const tally = required === 0 ? noTally() : tallyApprovals(policy, required, digestOf(), req.requester, approvals, now, view);
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
