// The Idempotency-Key header of a signing request: the caller's request id, so a retry with the same
// key returns the same result and never signs twice (the appliance keeps that promise; the bridge
// only checks the header's form).
import { ApplianceError } from '../protocol/errors.js';

export const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The header's value, or 400 bad_request when it is missing or not 1-128 characters [A-Za-z0-9._:-]. */
export function idempotencyKey(header: string | undefined): string {
  if (!header || !IDEMPOTENCY_KEY_RE.test(header)) throw new ApplianceError('bad_request', 'an Idempotency-Key header of 1-128 characters [A-Za-z0-9._:-] is required');
  return header;
}
