// Typed errors with a closed set of kinds. Only `code` and a short, secret-free `message`
// ever cross the wire (DESIGN.md "Errors"); `cause` stays inside the process.

export const ERROR_CODES = [
  'bad_request', // malformed or out-of-range input (invariant 8)
  'non_canonical', // CBOR that is not in deterministic form (RFC 8949 §4.2.1)
  'frame_too_large', // wire frame over the limit, refused without reading
  'body_too_large', // HTTP request body over its route's cap, refused before the rest is read (bridge)
  'response_too_large', // an answer that would not fit the response frame: ask for less (a smaller page)
  'bad_checksum', // a mixed-case address whose EIP-55 checksum is wrong (bridge, JSON only)
  'unknown_command',
  'unauthorized', // no or bad bearer token
  'forbidden', // token lacks the scope
  'not_found',
  'conflict', // state conflict: idempotency key reused for another request, duplicate, etc.
  'denied', // policy denial (reasons travel with it)
  'unavailable', // appliance not reachable / not ready
  'internal', // a fault; details are logged inside the appliance only
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The two conflicts of an idempotency key, as `details.code` of a `conflict` (IETF
 * draft-ietf-httpapi-idempotency-key-header): the key already names a different request (the bridge
 * answers 422), or its request is still being signed (409: ask again).
 */
export const IDEMPOTENCY_CONFLICTS = {
  keyReused: 'idempotency_key_reused',
  inProgress: 'request_in_progress',
} as const;

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x);
}

export class ApplianceError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApplianceError';
    this.code = code;
    this.details = details;
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) => new ApplianceError('bad_request', message, details);
