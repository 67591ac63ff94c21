// The ledger's typed errors: a closed list of codes for a refused posting (nothing was written) and
// for misuse of the journal's API. `details` carries the facts a caller needs (account, state, amount).
// CodedError is the base the orchestrator's errors share (orchestrator/errors.ts), so the custody
// service renders both with one mapping (custody/problem.ts).

export const LEDGER_ERROR_CODES = [
  'bad_entry', // malformed: no lines, zero or non-integer amount, bad asset id, missing trace or key
  'unbalanced', // the lines of some asset do not sum to zero
  'unknown_account', // a line names an account that was never opened
  'illegal_transition', // a line (account kind, state, direction) the entry's kind does not allow
  'negative_balance', // a customer's Available (or Reserved, Pending) would go below zero
  'idempotency_conflict', // the idempotency key was used for a different entry
  'not_found', // no entry with that id
  'already_reversed', // the entry has a reversal already
  'not_reversible', // a reversal cannot itself be reversed
  'address_taken', // the custody address is registered with another role or customer
  'already_resolved', // the reconciliation exception was resolved already (by someone, recorded)
  'not_final', // the chain has no final block yet (too short for the confirmation depth)
  'corrupt', // stored data contradicts the journal (replay found a difference)
  'chain_mismatch', // a chain's RPC endpoint serves another chain id than the one configured
  'nothing_to_sweep', // a deposit address's final balance does not cover the sweep's worst-case fee
  'needs_gas', // a token sweep's deposit address holds too little of the native coin for its fee
  'sweep_in_flight', // the address has a sweep being signed, awaiting approval or broadcast
  'sweep_refused', // the appliance denied the sweep, or answered a transaction other than the one asked
  'hd_key_mismatch', // the key the appliance derived for an HD deposit address is not the address the xpub gave
] as const;

export type LedgerErrorCode = (typeof LEDGER_ERROR_CODES)[number];

/** A typed error of a layer: a code from the layer's closed list, a message, and the facts a caller needs. */
export abstract class CodedError<C extends string> extends Error {
  readonly code: C;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: C, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export class LedgerError extends CodedError<LedgerErrorCode> {}
