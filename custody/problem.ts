// The custody service's typed errors and their one rendering: RFC 9457 problem details
// (`application/problem+json`) with type, title, status, detail and the error's `code` as a member.
// A LedgerError keeps its ledger code and gets its status from LEDGER_STATUS; the service's own codes
// are SERVICE_CODES. A problem never carries a secret: details are the facts the caller sent or may see.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { LEDGER_ERROR_CODES, LedgerError, type LedgerErrorCode } from '../ledger/errors.js';
import { BridgeError } from '../ledger/bridge-client.js';
import { ORCHESTRATOR_ERROR_CODES, OrchestratorError, type OrchestratorErrorCode } from '../orchestrator/errors.js';

export const SERVICE_CODES = ['bad_request', 'unauthorized', 'forbidden', 'no_route', 'body_too_large', 'internal', 'bridge_error', 'not_configured'] as const;
export type ServiceCode = (typeof SERVICE_CODES)[number];
export type ProblemCode = ServiceCode | LedgerErrorCode | OrchestratorErrorCode;

export const SERVICE_STATUS: Record<ServiceCode, ContentfulStatusCode> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  no_route: 404,
  body_too_large: 413,
  internal: 500,
  bridge_error: 502,
  not_configured: 503,
};

/** Each ledger error code at its HTTP status. */
export const LEDGER_STATUS: Record<LedgerErrorCode, ContentfulStatusCode> = {
  bad_entry: 400,
  unbalanced: 422,
  unknown_account: 404,
  illegal_transition: 422,
  negative_balance: 409,
  idempotency_conflict: 409,
  not_found: 404,
  already_reversed: 409,
  not_reversible: 409,
  address_taken: 409,
  chain_mismatch: 502,
  nothing_to_sweep: 409,
  needs_gas: 409,
  sweep_in_flight: 409,
  sweep_refused: 409,
  already_resolved: 409,
  not_final: 409,
  corrupt: 500,
};

/** Each orchestrator error code at its HTTP status (a code both layers use keeps the ledger's title only for ledger errors). */
export const ORCHESTRATOR_STATUS: Record<OrchestratorErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  not_found: 404,
  illegal_transition: 409,
  idempotency_conflict: 422,
  nonce_taken: 409,
};

const ORCHESTRATOR_TITLES: Record<OrchestratorErrorCode, string> = {
  bad_request: 'Bad request',
  not_found: 'Not found',
  illegal_transition: 'The withdrawal or attempt cannot make that move from its state',
  idempotency_conflict: 'The Idempotency-Key was used for a different request',
  nonce_taken: 'The nonce is held by another withdrawal',
};

const TITLES: Record<ServiceCode | LedgerErrorCode, string> = {
  bad_request: 'Bad request',
  unauthorized: 'Missing or unknown bearer token',
  forbidden: 'The token lacks the scope this route needs',
  no_route: 'No such route',
  body_too_large: 'The request body is over the limit',
  internal: 'Internal error',
  bridge_error: 'The bridge refused the request or could not be reached',
  not_configured: 'The service is not configured for this',
  bad_entry: 'Malformed ledger input',
  unbalanced: 'The lines of an asset do not sum to zero',
  unknown_account: 'No such account',
  illegal_transition: 'A line the entry kind does not allow',
  negative_balance: 'A balance would go below zero',
  idempotency_conflict: 'The idempotency key was used for a different entry',
  not_found: 'Not found',
  already_reversed: 'The entry has a reversal already',
  not_reversible: 'A reversal is not reversed',
  address_taken: 'The address is registered with another role or customer',
  chain_mismatch: 'The RPC endpoint serves another chain than the one configured',
  nothing_to_sweep: 'The final balance does not cover the sweep and its fee',
  needs_gas: 'The deposit address holds too little native coin for the fee',
  sweep_in_flight: 'The address has a sweep in flight',
  sweep_refused: 'The appliance refused the sweep',
  already_resolved: 'The reconciliation exception was resolved already',
  not_final: 'The block is not final on the chain yet',
  corrupt: 'Stored data contradicts the journal',
};

export const ALL_PROBLEM_CODES: readonly ProblemCode[] = [...new Set<ProblemCode>([...SERVICE_CODES, ...LEDGER_ERROR_CODES, ...ORCHESTRATOR_ERROR_CODES])];

export function problemStatus(code: ProblemCode): ContentfulStatusCode {
  return (SERVICE_STATUS as Record<string, ContentfulStatusCode>)[code] ?? (LEDGER_STATUS as Record<string, ContentfulStatusCode>)[code] ?? ORCHESTRATOR_STATUS[code as OrchestratorErrorCode];
}

/** The problem type URI of a code (relative, resolved against the service's URL; docs/custody-service.md lists them). */
export const problemType = (code: ProblemCode): string => `/problems/${code}`;

/** An error the service answers with as a problem. */
export class ProblemError extends Error {
  readonly code: ServiceCode;
  readonly extra: Record<string, unknown> | undefined;
  constructor(code: ServiceCode, detail: string, extra?: Record<string, unknown>) {
    super(detail);
    this.name = 'ProblemError';
    this.code = code;
    this.extra = extra;
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  [member: string]: unknown;
}

/** The problem for any thrown value; anything not typed is `internal` and says nothing of itself. */
export function toProblem(err: unknown): Problem {
  if (err instanceof ProblemError) return { ...(err.extra ?? {}), ...base(err.code, err.message) };
  if (err instanceof LedgerError) return { ...(err.details ? { details: err.details } : {}), ...base(err.code, err.message) };
  if (err instanceof OrchestratorError) {
    return {
      ...(err.details ?? {}),
      type: problemType(err.code),
      title: ORCHESTRATOR_TITLES[err.code],
      status: ORCHESTRATOR_STATUS[err.code],
      detail: err.message,
      code: err.code,
    };
  }
  // The bridge's own error code and status (never its URL's secrets: the bridge client names only the base URL and path).
  if (err instanceof BridgeError) return { bridgeCode: err.code, bridgeStatus: err.status, ...(err.details ? { details: err.details } : {}), ...base('bridge_error', err.message) };
  if (err instanceof SyntaxError) return base('bad_request', 'the request body is not valid JSON');
  return base('internal', 'internal error');
}

function base(code: ServiceCode | LedgerErrorCode, detail: string): Problem {
  return { type: problemType(code), title: TITLES[code], status: problemStatus(code), detail, code };
}
