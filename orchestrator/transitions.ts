// The transitions of both state machines, as data: each row is (from, to, cause). The store refuses
// any move not in its table (`illegal_transition`), so a bug or a replayed event cannot take a
// withdrawal from `requested` to `broadcasted`, or revive a finished one. The cause names why the move
// happened and is persisted with it; a cause a row does not list is refused too.
import type { AttemptState, WithdrawalState } from './states.js';

export interface Transition<S extends string> {
  from: S;
  to: S;
  cause: string;
}

const t = <S extends string>(from: S, to: S, cause: string): Transition<S> => ({ from, to, cause });

export const WITHDRAWAL_TRANSITIONS: readonly Transition<WithdrawalState>[] = [
  t('requested', 'policy_checked', 'checks_passed'), // W1: balance reserved, daily limit, screening, travel rule
  t('requested', 'rejected', 'checks_failed'),
  t('requested', 'cancelled', 'cancel'),
  t('policy_checked', 'signing', 'sign_requested'), // W4: the request is on its way to the appliance
  t('policy_checked', 'cancelled', 'cancel'),
  t('signing', 'approval_pending', 'appliance_pending'), // W2: the appliance asks for approvals
  t('signing', 'signed', 'appliance_signed'), // W5
  t('signing', 'rejected', 'appliance_denied'),
  t('signing', 'operator', 'signing_unknown'), // the bridge did not answer; its outcome is looked up by idempotency key
  t('approval_pending', 'approved', 'approvals_complete'), // W3
  t('approval_pending', 'rejected', 'appliance_denied'),
  t('approval_pending', 'rejected', 'approval_expired'),
  t('approval_pending', 'cancelled', 'cancel'),
  t('approved', 'signed', 'appliance_signed'),
  t('signed', 'broadcasted', 'attempt_sent'), // W6
  t('signed', 'cancelled', 'cancel'), // signed but never sent: the nonce is released or filled
  t('broadcasted', 'included', 'attempt_included'), // W7
  t('broadcasted', 'operator', 'attempt_exception'), // expired (by policy), reverted, rpc_inconsistent
  t('included', 'broadcasted', 'reorg'), // the block that held it is gone
  t('included', 'finalized', 'attempt_finalized'), // W8
  t('included', 'cancelled', 'cancel_final'), // the included attempt was the cancel (0 to self), and its block is final
  t('included', 'operator', 'attempt_exception'), // reverted
  t('finalized', 'ledger_posted', 'ledger_posted'), // W9: only after finality
  t('ledger_posted', 'completed', 'completed'), // W10
  t('operator', 'broadcasted', 'operator_retry'),
  t('operator', 'broadcasted', 'cancel_requested'), // a cancel of a sent withdrawal: the worker sends 0 to self at its nonce
  t('operator', 'signing', 'operator_retry'),
  t('operator', 'cancelled', 'operator_cancel'),
  t('operator', 'failed', 'operator_fail'),
  t('operator', 'included', 'operator_accept'), // the operator accepts the chain's outcome
];

export const ATTEMPT_TRANSITIONS: readonly Transition<AttemptState>[] = [
  t('created', 'signed', 'appliance_signed'),
  t('signed', 'sent', 'rpc_accepted'),
  t('signed', 'failed', 'rpc_refused'),
  t('failed', 'sent', 'resend'), // FAILED: retried automatically
  t('failed', 'replaced', 'other_included'),
  t('sent', 'seen', 'mempool_seen'),
  t('sent', 'included', 'receipt'),
  t('seen', 'included', 'receipt'),
  t('sent', 'expired', 'deadline_passed'),
  t('seen', 'expired', 'deadline_passed'),
  t('sent', 'dropped', 'mempool_gone'),
  t('seen', 'dropped', 'mempool_gone'),
  t('expired', 'included', 'receipt'), // a late inclusion still counts
  t('dropped', 'included', 'receipt'),
  t('sent', 'replaced', 'other_included'),
  t('seen', 'replaced', 'other_included'),
  t('expired', 'replaced', 'other_included'),
  t('dropped', 'replaced', 'other_included'),
  t('included', 'confirmed', 'confirmations'),
  t('included', 'finalized', 'final'),
  t('confirmed', 'finalized', 'final'),
  t('included', 'reverted', 'receipt_reverted'),
  t('included', 'sent', 'reorg'),
  t('confirmed', 'sent', 'reorg'),
  t('sent', 'rpc_inconsistent', 'no_quorum'),
  t('seen', 'rpc_inconsistent', 'no_quorum'),
  t('included', 'rpc_inconsistent', 'no_quorum'),
  t('rpc_inconsistent', 'sent', 'quorum'),
  t('rpc_inconsistent', 'included', 'quorum'),
  t('rpc_inconsistent', 'dropped', 'quorum'),
  t('rpc_inconsistent', 'included', 'operator_accept'), // an operator takes the chain's outcome
];

export function allowed<S extends string>(table: readonly Transition<S>[], from: S, to: S, cause: string): boolean {
  return table.some((r) => r.from === from && r.to === to && r.cause === cause);
}
