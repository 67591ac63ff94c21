// The one table from appliance error codes and request states to HTTP statuses.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode } from '../protocol/errors.js';

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
