// The orchestrator's typed errors: a closed list of codes; `details` carries what a caller needs.

export const ORCHESTRATOR_ERROR_CODES = [
  'bad_request', // malformed input: the field is named in details
  'not_found', // no withdrawal or attempt with that id
  'illegal_transition', // the state table has no such move from the current state
  'idempotency_conflict', // the idempotency key was used for a different withdrawal
  'nonce_taken', // the (chain, from, nonce) is reserved by another withdrawal
] as const;
export type OrchestratorErrorCode = (typeof ORCHESTRATOR_ERROR_CODES)[number];

export class OrchestratorError extends Error {
  readonly code: OrchestratorErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: OrchestratorErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'OrchestratorError';
    this.code = code;
    this.details = details;
  }
}
