// The one reader of an audit entry's payload for people: the canonical CBOR map inside a stored
// COSE_Sign1, decoded WITHOUT checking its signature. The bridge's audit routes (page and JSON Lines
// export) and hsmctl's `audit list|show` and export tools all read entries through here, so they show
// the same fields. Reading is not verifying: `hsmctl audit verify` checks signatures, chain and
// measurements on the stored bytes, never on this decoded view.
import { decodeCanonical, type CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { decodeCoseSign1 } from './cose-sign1.js';

/** The payload map of an entry's COSE_Sign1 (unverified); a typed error when it does not decode to a map. */
export function entryPayload(cose: Uint8Array): CborMap {
  const bytes = decodeCoseSign1(cose).payload;
  if (!bytes) throw new ApplianceError('bad_request', 'the audit entry carries no payload');
  const payload = decodeCanonical(bytes);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || payload instanceof Uint8Array || payload instanceof Map)
    throw new ApplianceError('bad_request', 'the audit payload is not a map');
  return payload as CborMap;
}

/** A stored entry (seq, hash, entry) with `payload` beside its bytes; left without one when the bytes do not decode. */
export function withDecodedPayload<E extends CborMap>(e: E): E & { payload?: CborMap } {
  if (!(e.entry instanceof Uint8Array)) return e;
  try {
    return { ...e, payload: entryPayload(e.entry) };
  } catch {
    return e;
  }
}
