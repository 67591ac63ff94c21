// One answer as a wire frame, never a throw: an answer that does not fit the response frame (or
// cannot be encoded at all) becomes a typed error for the same request id, so a command's result can
// never take the appliance down (DESIGN.md invariant 8) and the client learns what happened.
import { encodeCanonical, type CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { encodeFrame } from '../protocol/frame.js';
import { errorEnvelope } from '../protocol/messages.js';
import { log } from './log.js';

const idOf = (m: CborMap): number | null => (typeof m.id === 'number' ? m.id : null);

export function answerFrame(m: CborMap, maxResponse: number): Buffer {
  try {
    return encodeFrame(encodeCanonical(m), maxResponse);
  } catch (err) {
    if (err instanceof ApplianceError && err.code === 'frame_too_large') {
      const length = Number(err.details?.length);
      log('warn', 'answer too large', { bytes: length, maxResponse });
      return encodeFrame(
        encodeCanonical(
          errorEnvelope(idOf(m), {
            code: 'response_too_large',
            message: `the answer (${length} bytes) exceeds the ${maxResponse}-byte response frame: ask for less`,
            details: { length, maxResponse },
          }),
        ),
        maxResponse,
      );
    }
    log('error', 'answer not encodable', { error: err instanceof Error ? err.name : typeof err });
    return encodeFrame(encodeCanonical(errorEnvelope(idOf(m), { code: 'internal', message: 'internal error' })), maxResponse);
  }
}
