// The requester's stamp as a signing command carries it (issue 12 item 1): an expiry and a signature
// over the request statement (firmware-policy/request-stamp.ts), plus the SHA-256 of the command's
// canonical arguments without the stamp, which the statement names, computed here from what arrived.
import { sha256Canonical, type CborMap } from '../cbor.js';
import { ApplianceError } from '../errors.js';
import { asMap, bytes, onlyKeys, str, uint } from '../args.js';

export type RequestStampParam = {
  /** Device time (Unix seconds) after which the stamp is refused. */
  expiresAt: number;
  /** ES256 (DER) or Ed25519 by the requester's key in the policy. */
  signature: Uint8Array;
};

/** The stamp, if any, and the digest of the arguments it must cover. */
export type StampedArgs = {
  stamp?: RequestStampParam;
  argsDigest: Uint8Array;
};

export function parseStamp(m: CborMap): StampedArgs {
  const { stamp, ...covered } = m;
  const argsDigest = sha256Canonical(covered);
  if (stamp === undefined) return { argsDigest };
  const s = asMap(stamp, 'stamp');
  onlyKeys(s, 'stamp', ['expiresAt', 'signature']);
  return { stamp: { expiresAt: uint(s, 'expiresAt'), signature: bytes(s, 'signature', undefined, 128) }, argsDigest };
}

/** What a requester's stamp covers: the arguments exactly as sent, without the stamp. */
export function stampedArgsDigest(args: CborMap): Uint8Array {
  return parseStamp(args).argsDigest;
}

/** A command an admin asks for: an optional request id and stamp (the stamp needs the id it names). */
export type AdminStampParams = {
  /** The id the admin's stamp names (any string the admin picks; required with a stamp). */
  requestId?: string;
  stamp?: RequestStampParam;
};

export type AdminStampedArgs = StampedArgs & { requestId?: string };

export function parseAdminStamp(m: CborMap): AdminStampedArgs {
  const stamped = parseStamp(m);
  const requestId = m.requestId === undefined ? undefined : str(m, 'requestId', 128);
  if (stamped.stamp !== undefined && requestId === undefined) throw new ApplianceError('bad_request', 'a stamped request must carry the "requestId" its stamp names', { field: 'requestId' });
  return { ...stamped, ...(requestId === undefined ? {} : { requestId }) };
}
