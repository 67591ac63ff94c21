// The custody service's typed errors and their one rendering: RFC 9457 problem details
// (`application/problem+json`) with type, title, status, detail and the error's `code` as a member.
// One table gives each code its status and title: the service's own codes, and the codes of the layers'
// typed errors (ledger/errors.ts CodedError: LedgerError, OrchestratorError), each layer under its own
// name, because the two share code names with other statuses (a ledger `illegal_transition` is a posting
// line its kind refuses, 422; a withdrawal's is a move its state refuses, 409). A problem never carries
// a secret: details are the facts the caller sent or may see.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BridgeError } from '../ledger/bridge-client.js';
import { CodedError, LEDGER_ERROR_CODES, LedgerError, type LedgerErrorCode } from '../ledger/errors.js';
import { ORCHESTRATOR_ERROR_CODES, OrchestratorError, type OrchestratorErrorCode } from '../orchestrator/errors.js';

export const SERVICE_CODES = ['bad_request', 'unauthorized', 'forbidden', 'no_route', 'body_too_large', 'internal', 'bridge_error', 'not_configured'] as const;
export type ServiceCode = (typeof SERVICE_CODES)[number];
export type ProblemCode = ServiceCode | LedgerErrorCode | OrchestratorErrorCode;

/** A code's HTTP status and its problem's title. */
type Kind = readonly [status: ContentfulStatusCode, title: string];

/**
 * Each code at its status and title: the service's codes, then per layer (by its error class) its
 * codes, and whether a layer error's `details` go in a `details` member (the ledger's) or are members
 * of the problem themselves (the orchestrator's: `field` beside the service's own bad_request).
 */
const PROBLEMS = {
  service: {
    bad_request: [400, 'Bad request'],
    unauthorized: [401, 'Missing or unknown bearer token'],
    forbidden: [403, 'The token lacks the scope this route needs'],
    no_route: [404, 'No such route'],
    body_too_large: [413, 'The request body is over the limit'],
    internal: [500, 'Internal error'],
    bridge_error: [502, 'The bridge refused the request or could not be reached'],
    not_configured: [503, 'The service is not configured for this'],
  } satisfies Record<ServiceCode, Kind>,
  ledger: {
    details: 'member',
    codes: {
      bad_entry: [400, 'Malformed ledger input'],
      unbalanced: [422, 'The lines of an asset do not sum to zero'],
      unknown_account: [404, 'No such account'],
      illegal_transition: [422, 'A line the entry kind does not allow'],
      negative_balance: [409, 'A balance would go below zero'],
      idempotency_conflict: [409, 'The idempotency key was used for a different entry'],
      not_found: [404, 'Not found'],
      already_reversed: [409, 'The entry has a reversal already'],
      not_reversible: [409, 'A reversal is not reversed'],
      address_taken: [409, 'The address is registered with another role or customer'],
      chain_mismatch: [502, 'The RPC endpoint serves another chain than the one configured'],
      nothing_to_sweep: [409, 'The final balance does not cover the sweep and its fee'],
      needs_gas: [409, 'The deposit address holds too little native coin for the fee'],
      sweep_in_flight: [409, 'The address has a sweep in flight'],
      sweep_refused: [409, 'The appliance refused the sweep'],
      hd_key_mismatch: [502, 'The appliance derived a key whose address is not the one the xpub gives'],
      already_resolved: [409, 'The reconciliation exception was resolved already'],
      not_final: [409, 'The block is not final on the chain yet'],
      corrupt: [500, 'Stored data contradicts the journal'],
    } satisfies Record<LedgerErrorCode, Kind>,
  },
  orchestrator: {
    details: 'members',
    codes: {
      bad_request: [400, 'Bad request'],
      not_found: [404, 'Not found'],
      illegal_transition: [409, 'The withdrawal or attempt cannot make that move from its state'],
      idempotency_conflict: [422, 'The Idempotency-Key was used for a different request'],
      nonce_taken: [409, 'The nonce is held by another withdrawal'],
    } satisfies Record<OrchestratorErrorCode, Kind>,
  },
} as const;

type Layer = { details: 'member' | 'members'; codes: Readonly<Record<string, Kind>> };
const LAYERS = new Map<unknown, Layer>([
  [LedgerError, PROBLEMS.ledger],
  [OrchestratorError, PROBLEMS.orchestrator],
]);

export const ALL_PROBLEM_CODES: readonly ProblemCode[] = [...new Set<ProblemCode>([...SERVICE_CODES, ...LEDGER_ERROR_CODES, ...ORCHESTRATOR_ERROR_CODES])];

/** A code's status: the service's, else the ledger's, else the orchestrator's (the first that has the code). */
export function problemStatus(code: ProblemCode): ContentfulStatusCode {
  const kind = (PROBLEMS.service as Record<string, Kind>)[code] ?? (PROBLEMS.ledger.codes as Record<string, Kind>)[code] ?? PROBLEMS.orchestrator.codes[code as OrchestratorErrorCode];
  return kind[0];
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
  if (err instanceof ProblemError) return { ...(err.extra ?? {}), ...service(err.code, err.message) };
  if (err instanceof CodedError) {
    const layer = LAYERS.get(err.constructor);
    const kind = layer?.codes[err.code];
    if (layer !== undefined && kind !== undefined) {
      const details = err.details === undefined ? {} : layer.details === 'member' ? { details: err.details } : err.details;
      return { ...details, ...problem(err.code as ProblemCode, kind, err.message) };
    }
  }
  // The bridge's own error code and status (never its URL's secrets: the bridge client names only the base URL and path).
  if (err instanceof BridgeError) return { bridgeCode: err.code, bridgeStatus: err.status, ...(err.details ? { details: err.details } : {}), ...service('bridge_error', err.message) };
  if (err instanceof SyntaxError) return service('bad_request', 'the request body is not valid JSON');
  return service('internal', 'internal error');
}

function problem(code: ProblemCode, [status, title]: Kind, detail: string): Problem {
  return { type: problemType(code), title, status, detail, code };
}

const service = (code: ServiceCode, detail: string): Problem => problem(code, PROBLEMS.service[code], detail);
