// Reads a WebAuthn credential public key: a COSE_Key (RFC 9052 §7, RFC 9053 §7.1.1) of type EC2
// for ES256, the only algorithm passkey approvals accept. Pure: no I/O.
//
// The key must be exactly the five-entry map {1: 2 (kty EC2), 3: -7 (alg ES256), -1: 1 (crv P-256),
// -2: x (32 bytes), -3: y (32 bytes)} in deterministic CBOR. CTAP2 §8 requires authenticators to
// emit "CTAP2 canonical CBOR", whose key order (shorter encodings first, then bytewise) gives the
// same bytes as RFC 8949 §4.2.1 for these five one-byte keys, so protocol/cbor.ts decodeCanonical
// accepts what authenticators produce and refuses every other spelling of the same key: one key,
// one accepted byte string. (x, y) must be a point on P-256 (SEC 1 §3.2.2), not infinity.
import { p256 } from '@noble/curves/nist.js';
import { decodeCanonical } from '../../protocol/cbor.js';

/** COSE labels and values (IANA "COSE Key Common Parameters", "COSE Algorithms", "COSE Elliptic Curves"). */
const KTY = 1;
const ALG = 3;
const CRV = -1;
const X = -2;
const Y = -3;
const KTY_EC2 = 2;
const ALG_ES256 = -7;
const CRV_P256 = 1;
const COORD_LEN = 32;

/** An ES256 public key in the parsed form the policy may store instead of COSE bytes. */
export interface Es256Coordinates {
  x: Uint8Array;
  y: Uint8Array;
}

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** (x, y) as a 65-byte SEC 1 uncompressed point if it lies on P-256, else null. */
export function p256PointFromCoordinates(key: Es256Coordinates): Uint8Array | null {
  if (key === null || typeof key !== 'object') return null;
  const { x, y } = key;
  if (!isBytes(x) || !isBytes(y) || x.length !== COORD_LEN || y.length !== COORD_LEN) return null;
  const sec1 = new Uint8Array(1 + 2 * COORD_LEN);
  sec1[0] = 0x04;
  sec1.set(x, 1);
  sec1.set(y, 1 + COORD_LEN);
  try {
    const point = p256.Point.fromBytes(sec1); // coordinates < p, on the curve, not infinity
    point.assertValidity();
    return sec1;
  } catch {
    return null;
  }
}

/** The ES256 COSE_Key's coordinates, or null when the bytes are anything but that one map. */
export function parseCoseEs256Key(bytes: Uint8Array): Es256Coordinates | null {
  if (!isBytes(bytes)) return null;
  let value;
  try {
    value = decodeCanonical(bytes);
  } catch {
    return null;
  }
  // Integer-keyed maps decode to a Map (text-keyed ones to a plain object).
  if (!(value instanceof Map) || value.size !== 5) return null;
  if (value.get(KTY) !== KTY_EC2 || value.get(ALG) !== ALG_ES256 || value.get(CRV) !== CRV_P256) return null;
  const x = value.get(X);
  const y = value.get(Y);
  if (!isBytes(x) || !isBytes(y)) return null;
  const coords = { x: Uint8Array.from(x), y: Uint8Array.from(y) };
  return p256PointFromCoordinates(coords) === null ? null : coords;
}
