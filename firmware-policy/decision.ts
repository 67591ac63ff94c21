// What the evaluator returns. A denial is a value naming the rule and why, never an exception.
import type { CborMap } from '../protocol/cbor.js';
import type { ReasonCode } from './reason-codes.js';
import type { PolicyReason } from '../protocol/commands/signing-answer.js';

export type Outcome = 'allow' | 'deny' | 'needs_approval';

export type RuleName =
  | 'key-group'
  | 'chain-allowlist'
  | 'asset'
  | 'calldata'
  | 'whitelist'
  | 'per-tx-limit'
  | 'velocity-window'
  | 'approval-tier'
  | 'nonce-guard'
  | 'fee-cap'
  | 'allowance'
  | 'typed-data'
  | 'requester'
  | 'sweep'
  | 'travel-rule'
  | 'safe';

export interface Reason {
  rule: RuleName;
  /** Stable machine code, e.g. "not_whitelisted", "whitelist_hold" (reason-codes.ts). */
  code: ReasonCode;
  message: string;
  detail?: CborMap;
}

export interface RejectedApproval {
  approverId: string;
  why: 'unknown_approver' | 'requester_cannot_approve' | 'expired' | 'lifetime_too_long' | 'bad_signature' | 'duplicate' | 'counter_replayed';
  /** A passkey approval: the WebAuthn verifier's own reason (approvals/webauthn.ts), e.g. challenge_mismatch. */
  webauthn?: string;
}

/** A passkey's signature counter after a counted approval: the appliance stores it with an allowed decision. */
export interface CounterUpdate {
  approverId: string;
  credentialId: Uint8Array;
  counter: number;
}

export interface ApprovalTally {
  required: number;
  /** Distinct approver ids whose approvals count. */
  counted: string[];
  rejected: RejectedApproval[];
  /** New signature counters of the passkey approvals that count (absent when none is a passkey's). */
  counters?: CounterUpdate[];
}

/** A rejected approval as audit entries record it. */
export function rejectedToCbor(r: RejectedApproval): CborMap {
  return r.webauthn === undefined ? { approverId: r.approverId, why: r.why } : { approverId: r.approverId, why: r.why, webauthn: r.webauthn };
}

export interface Reservation {
  keyId: string;
  asset: string;
  amount: bigint;
}

/** A spender's outstanding allowance after an allowed grant (rules/token-allowance.ts), recorded with the decision. */
export interface AllowanceUpdate {
  keyId: string;
  asset: string;
  spender: Uint8Array;
  amount: bigint;
  nonce: bigint | null;
}

export interface Decision {
  outcome: Outcome;
  reasons: Reason[];
  approvals: ApprovalTally;
  /** Spend to reserve durably before the key is used; present when an allowed first signature moves value. */
  reserve?: Reservation;
  /** The spender's outstanding allowance to record with the reservation; present when an allowed first signature grants an allowance. */
  allowance?: AllowanceUpdate;
  /**
   * A Safe transaction's signature for the nonce guard's memory (rules/safe-tx.ts): recorded in the
   * commit of the decision, before the key is used; present when a Safe transaction is allowed.
   */
  guardRecord?: { keyId: string; chainId: bigint; nonce: bigint; intentDigest: Uint8Array };
  /** What the nonce guard saw: a first signature at this nonce, a fee bump, or a cancel. */
  nonceMode?: 'first' | 'bump' | 'cancel';
}

export function allowanceToCbor(a: AllowanceUpdate | undefined): CborMap | null {
  return a ? { keyId: a.keyId, asset: a.asset, spender: a.spender, amount: a.amount, nonce: a.nonce } : null;
}

export function reasonsToCbor(reasons: Reason[]): PolicyReason[] {
  return reasons.map((r) => {
    const m: PolicyReason = { rule: r.rule, code: r.code, message: r.message };
    if (r.detail) m.detail = r.detail;
    return m;
  });
}
