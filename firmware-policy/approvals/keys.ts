// Validates an approver's public key when it enters an approver set, so a set never holds a key
// that could not verify (or could verify too much). Pure: no I/O.
//
// - ES256: SEC 1 §2.3.4 point, 33-byte compressed (02/03) or 65-byte uncompressed (04), on the
//   P-256 curve and not the point at infinity (SEC 1 §3.2.2). Returned in ONE form (65-byte
//   uncompressed) so the same key given compressed and uncompressed compares equal byte for byte
//   and cannot be counted twice towards a quorum.
// - EdDSA: RFC 8032 §5.1.3 32-byte encoding, decoded strictly (y < p, no "-0" x), not of small
//   order and in the prime-order subgroup: an honest key is always [a]B, and a key with a torsion
//   component has no legitimate use. Strict decoding admits one encoding per point, so the bytes
//   are returned as given (a copy).
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ApplianceError } from '../../protocol/errors.js';
import type { ApprovalAlg } from './verify-signature.js';

function badKey(alg: string, why: string, cause?: unknown): ApplianceError {
  const message = `invalid ${alg} approver public key: ${why}`;
  return new ApplianceError('bad_request', message, { alg }, cause === undefined ? undefined : { cause });
}

function parseP256(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 33 && bytes.length !== 65) {
    throw badKey('ES256', `expected 33 or 65 bytes, got ${bytes.length}`);
  }
  const prefix = bytes[0];
  if (bytes.length === 33 && prefix !== 0x02 && prefix !== 0x03) throw badKey('ES256', 'compressed key must start with 02 or 03');
  if (bytes.length === 65 && prefix !== 0x04) throw badKey('ES256', 'uncompressed key must start with 04');
  let point;
  try {
    point = p256.Point.fromBytes(bytes); // checks the curve equation, coordinates < p, not infinity
    point.assertValidity();
  } catch (e) {
    throw badKey('ES256', 'not a point on P-256', e);
  }
  return point.toBytes(false);
}

function parseEd25519(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 32) throw badKey('EdDSA', `expected 32 bytes, got ${bytes.length}`);
  let point;
  try {
    point = ed25519.Point.fromBytes(bytes, false); // strict RFC 8032 decoding (not ZIP-215)
  } catch (e) {
    throw badKey('EdDSA', 'not a canonical Ed25519 point', e);
  }
  if (point.isSmallOrder()) throw badKey('EdDSA', 'point of small order');
  if (!point.isTorsionFree()) throw badKey('EdDSA', 'point outside the prime-order subgroup');
  return Uint8Array.from(bytes);
}

/**
 * Validates an approver public key and returns it in canonical form: P-256 as 65-byte SEC 1
 * uncompressed, Ed25519 as its 32 bytes. Throws ApplianceError('bad_request') otherwise.
 */
export function parseApproverPublicKey(alg: ApprovalAlg, bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw badKey(String(alg), 'expected bytes');
  switch (alg) {
    case 'ES256':
      return parseP256(bytes);
    case 'EdDSA':
      return parseEd25519(bytes);
    default:
      throw new ApplianceError('bad_request', 'unknown approval algorithm', { alg: String(alg) });
  }
}
