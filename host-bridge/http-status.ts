// The one table from appliance error codes and request states to HTTP statuses, and the statuses
// finer than a code's that the appliance's own `details.code` names (the bridge reads it; it decides nothing).
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { IDEMPOTENCY_CONFLICTS, type ErrorCode } from '../protocol/errors.js';

export const ERROR_STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  non_canonical: 400,
  unknown_command: 400,
  frame_too_large: 413,
  body_too_large: 413,
  response_too_large: 422,
  bad_checksum: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  denied: 403,
  unavailable: 503,
  internal: 500,
};

/**
 * A code's status refined by the appliance's `details.code`: an Idempotency-Key already used for a
 * different request is 422, as draft-ietf-httpapi-idempotency-key-header says (a request still being
 * signed under it stays 409 conflict).
 */
export const DETAIL_STATUS: Partial<Record<ErrorCode, Readonly<Record<string, ContentfulStatusCode>>>> = {
  conflict: { [IDEMPOTENCY_CONFLICTS.keyReused]: 422 },
};

/** The status of an error: its code's, or the finer one its details name. */
export function errorStatus(code: ErrorCode, details?: Record<string, unknown>): ContentfulStatusCode {
  const sub = details?.code;
  return (typeof sub === 'string' ? DETAIL_STATUS[code]?.[sub] : undefined) ?? ERROR_STATUS[code];
}

/** Status of a sign or approve result by its `status` field. */
export function resultStatus(status: unknown): ContentfulStatusCode {
  switch (status) {
    case 'signed':
      return 200;
    case 'pending_approval':
      return 202;
    case 'denied':
      return 403;
    case 'aborted':
    case 'failed':
      return 409;
    default:
      return 200;
  }
}
