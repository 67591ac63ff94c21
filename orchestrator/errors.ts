// The orchestrator's typed errors: a closed list of codes; `details` carries what a caller needs. The
// class shares the ledger's base (ledger/errors.ts CodedError); the codes are the orchestrator's own.
import { CodedError } from '../ledger/errors.js';

export const ORCHESTRATOR_ERROR_CODES = [
  'bad_request', // malformed input: the field is named in details
  'not_found', // no withdrawal or attempt with that id
  'illegal_transition', // the state table has no such move from the current state
  'idempotency_conflict', // the idempotency key was used for a different withdrawal
  'nonce_taken', // the (chain, from, nonce) is reserved by another withdrawal
] as const;
export type OrchestratorErrorCode = (typeof ORCHESTRATOR_ERROR_CODES)[number];

export class OrchestratorError extends CodedError<OrchestratorErrorCode> {}
