// The bridge's error answers as RFC 9457 problem details (`application/problem+json`): `type`
// (/problems/<code>, relative to the bridge's URL; /problems/<code>/<details.code> for the subtypes
// below), `title` (one per type), `status` (http-status.ts),
// `detail` (the error's short message, never a secret), the appliance's error code as `code`, and its
// typed details as the extension member `details`. `error` repeats the code for clients of the former
// `{ error: { code, message, details } }` body; it goes in the next release (docs/integrations.md).
// The JSON-RPC endpoint answers JSON-RPC errors instead (jsonrpc/rpc-errors.ts).
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { CborMap } from '../protocol/cbor.js';
import { IDEMPOTENCY_CONFLICTS, type ErrorCode } from '../protocol/errors.js';
import { errorStatus } from './http-status.js';
import { cborToJson, type Json } from './json-cbor.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Each code's problem title: what kind of error it is, the same for every occurrence. */
export const PROBLEM_TITLES: Record<ErrorCode, string> = {
  bad_request: 'Malformed or out-of-range input',
  non_canonical: 'A value not in its one canonical form',
  frame_too_large: 'The command would exceed the appliance request frame',
  body_too_large: "The request body is over this route's limit",
  response_too_large: 'The answer would exceed the appliance response frame',
  bad_checksum: 'A mixed-case address whose EIP-55 checksum is wrong',
  unknown_command: 'The appliance does not know this command',
  unauthorized: 'Missing, unknown or unbound credentials',
  forbidden: 'The credentials lack the scope or role this route needs',
  not_found: 'Not found',
  conflict: 'The request conflicts with the state of the appliance',
  denied: 'Refused by the appliance',
  unavailable: 'The appliance is not reachable or not ready',
  internal: 'Internal error',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  /** The code again, for clients of the former body (deprecated: removed in the next release). */
  error: ErrorCode;
  details?: Json;
  [extension: string]: Json | undefined;
}

/**
 * Problems of one code that are a kind of their own, by the appliance's `details.code`: their type is
 * /problems/<code>/<details.code>, with this title (the Idempotency-Key draft's two conflicts).
 */
export const PROBLEM_SUBTYPES: Partial<Record<ErrorCode, Readonly<Record<string, string>>>> = {
  conflict: {
    [IDEMPOTENCY_CONFLICTS.keyReused]: 'The Idempotency-Key is already used for a different request',
    [IDEMPOTENCY_CONFLICTS.inProgress]: 'A request is still being signed under this Idempotency-Key',
  },
};

export const problemType = (code: ErrorCode, sub?: string): string => (sub ? `/problems/${code}/${sub}` : `/problems/${code}`);

/** The problem for an error `code` with its message and typed details; `extra` adds extension members. */
export function problemOf(code: ErrorCode, detail: string, details?: Record<string, unknown>, extra: Record<string, Json> = {}): Problem {
  const sub = typeof details?.code === 'string' && PROBLEM_SUBTYPES[code]?.[details.code] ? details.code : undefined;
  return {
    ...extra,
    type: problemType(code, sub),
    title: sub ? PROBLEM_SUBTYPES[code]![sub]! : PROBLEM_TITLES[code],
    status: errorStatus(code, details),
    detail,
    code,
    error: code,
    ...(details ? { details: cborToJson(details as CborMap) } : {}),
  };
}

/** The problem as the response, with its media type. */
export function problemResponse(c: Context, problem: Problem): Response {
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, { 'Content-Type': PROBLEM_CONTENT_TYPE });
}
