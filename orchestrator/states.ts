// The two state machines of a withdrawal (seed 003): the Withdrawal, the business unit a customer
// asked for, and its TxAttempts, the chain units (one signed transaction each). A withdrawal moves
// W0..W10 on the happy path and ends rejected, cancelled or failed otherwise; an attempt moves
// A0..A6, or ends in one of the exceptions the tracker detects. The codes (W0, A3) are the seed's.

export const WITHDRAWAL_STATES = {
  requested: 'W0',
  policy_checked: 'W1',
  approval_pending: 'W2',
  approved: 'W3',
  signing: 'W4',
  signed: 'W5',
  broadcasted: 'W6',
  included: 'W7',
  finalized: 'W8',
  ledger_posted: 'W9',
  completed: 'W10',
  // Off the happy path:
  operator: 'WX-operator', // in the exception queue: an operator decides (retry, cancel, accept the chain's outcome)
  rejected: 'WX-rejected', // the orchestrator's checks or the appliance's policy refused it
  cancelled: 'WX-cancelled', // cancelled before broadcast, or its cancel transaction (0 to self at its nonce) is final
  failed: 'WX-failed', // given up by an operator; the reservation went back to Available
} as const;
export type WithdrawalState = keyof typeof WITHDRAWAL_STATES;
export const WITHDRAWAL_STATE_NAMES = Object.keys(WITHDRAWAL_STATES) as WithdrawalState[];
export const WITHDRAWAL_TERMINAL: readonly WithdrawalState[] = ['completed', 'rejected', 'cancelled', 'failed'];

export const ATTEMPT_STATES = {
  created: 'A0',
  signed: 'A1',
  sent: 'A2', // SENT_TO_RPC
  seen: 'A3', // SEEN_IN_MEMPOOL
  included: 'A4',
  confirmed: 'A5',
  finalized: 'A6',
  // The six exceptions (seed 003 table 1):
  failed: 'AX-failed', // the RPC refused or never answered the send: retried automatically
  expired: 'AX-expired', // not included by its deadline: bumped, or sent to an operator by policy
  dropped: 'AX-dropped', // gone from every mempool, not included: re-sent at the same nonce with higher fees
  replaced: 'AX-replaced', // another attempt at the same (from, nonce) was included: closed
  reverted: 'AX-reverted', // included with status 0: to an operator, never retried automatically
  rpc_inconsistent: 'AX-rpc-inconsistent', // the endpoints disagree with no quorum: resolved by quorum or by an operator
} as const;
export type AttemptState = keyof typeof ATTEMPT_STATES;
export const ATTEMPT_STATE_NAMES = Object.keys(ATTEMPT_STATES) as AttemptState[];
export const ATTEMPT_TERMINAL: readonly AttemptState[] = ['finalized', 'replaced', 'reverted'];
export const ATTEMPT_EXCEPTIONS = ['failed', 'expired', 'dropped', 'replaced', 'reverted', 'rpc_inconsistent'] as const satisfies readonly AttemptState[];
