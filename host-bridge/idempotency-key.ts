// The Idempotency-Key header of a signing request: the caller's request id, so a retry with the same
// key returns the same result and never signs twice (the appliance keeps that promise; the bridge
// only checks the header's form). draft-ietf-httpapi-idempotency-key-header makes the header a
// Structured Field String (RFC 8941 §3.3.3), `Idempotency-Key: "8e03978e"`; the bare form the bridge
// has always taken stays accepted, and both name the same request: "abc" is the key abc.
import { ApplianceError } from '../protocol/errors.js';

export const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The key a header names: a bare key, or the same key as a quoted sf-string (no parameters: the key's
 * characters need no escape, so a backslash or an inner quote is refused), else undefined.
 */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  const key = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  return IDEMPOTENCY_KEY_RE.test(key) ? key : undefined;
}

/** The header's key, or 400 bad_request when it is missing or not 1-128 characters [A-Za-z0-9._:-] (quoted or not). */
export function idempotencyKey(header: string | undefined): string {
  const key = parseIdempotencyKey(header);
  if (key === undefined) throw new ApplianceError('bad_request', 'an Idempotency-Key header of 1-128 characters [A-Za-z0-9._:-] (bare, or quoted as a structured-field string) is required');
  return key;
}
