// secp256k1 helpers for the EVM signer: addresses from public keys (Yellow Paper §4.2 / appendix F),
// EIP-55 checksums, and turning the raw r‖s an HSM returns for CKM_ECDSA into an Ethereum
// signature: low-s (EIP-2) and the recovery parity, read from the point R of the verification
// equation computed with the key that signed (which also proves the signature valid), and released
// only when recovery from the final (r, s, yParity) gives back that key. Pure: no I/O.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ApplianceError } from '../../protocol/errors.js';
import { SECP256K1_ORDER, type Address, type TxSignature } from './transaction.js';

const HALF_ORDER = SECP256K1_ORDER >> 1n;

/**
 * Why a token's raw signature cannot be released (a closed set):
 * - `malformed`: not 64 bytes of r‖s, or a digest/key of the wrong shape;
 * - `out_of_range`: r or s is 0 or not below n;
 * - `not_by_key`: it does not verify with the signing key over this digest (a faulty or hostile token);
 * - `r_overflow`: it verifies, but its point R has x in [n, p), so r = R.x - n and recovery (which
 *   lifts x = r) gives another key; Ethereum's yParity cannot say "x = r + n".
 */
export type SignatureFault = 'malformed' | 'out_of_range' | 'not_by_key' | 'r_overflow';

/** A token's output that must not leave the appliance. On the wire it is an 'internal' fault. */
export class SignatureRecoveryError extends ApplianceError {
  readonly fault: SignatureFault;
  constructor(fault: SignatureFault, message: string, options?: { cause?: unknown }) {
    super('internal', message, { fault }, options);
    this.name = 'SignatureRecoveryError';
    this.fault = fault;
  }
}

function assertUncompressedKey(publicKey: Uint8Array, kind: 'bad_request' | 'internal'): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new ApplianceError(kind, '"publicKey" expected 65 bytes starting with 04 (SEC 1 uncompressed)');
  }
}

/** keccak256(x ‖ y)[12:]: the 20-byte address of an uncompressed secp256k1 public key. */
export function addressFromPublicKey(uncompressed65: Uint8Array): Address {
  assertUncompressedKey(uncompressed65, 'bad_request');
  try {
    secp256k1.Point.fromBytes(uncompressed65).assertValidity();
  } catch (e) {
    throw new ApplianceError('bad_request', '"publicKey" is not a point on secp256k1', undefined, { cause: e });
  }
  return keccak_256(uncompressed65.subarray(1)).slice(12);
}

/** EIP-55 mixed-case checksum form, "0x" + 40 hex digits. */
export function toChecksumAddress(addr: Address): string {
  if (!(addr instanceof Uint8Array) || addr.length !== 20) {
    throw new ApplianceError('bad_request', `"address" expected 20 bytes, got ${addr instanceof Uint8Array ? addr.length : typeof addr}`);
  }
  const lower = bytesToHex(addr);
  const ascii = new Uint8Array(lower.length);
  for (let i = 0; i < lower.length; i++) ascii[i] = lower.charCodeAt(i);
  const hash = keccak_256(ascii);
  let out = '0x';
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i] as string;
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    out += nibble >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/**
 * Turns an HSM's raw ECDSA output into an Ethereum signature over `digest` by `publicKey`:
 * s is replaced by n - s when above n/2 (EIP-2), and yParity is the parity whose recovered public
 * key equals `publicKey`. Recovery from the result must reproduce the known key, so a wrong or
 * corrupted signature, or one whose R.x is not below n, never gets through: each is a
 * SignatureRecoveryError (an 'internal' ApplianceError) naming its fault.
 */
export function normalizeSignature(rs: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): TxSignature {
  if (!(rs instanceof Uint8Array) || rs.length !== 64) throw new SignatureRecoveryError('malformed', '"rs" expected 64 bytes (raw r||s)');
  if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new SignatureRecoveryError('malformed', '"digest" expected 32 bytes');
  assertUncompressedKey(publicKey, 'internal');
  const r = bytesToNumberBE(rs.subarray(0, 32));
  let s = bytesToNumberBE(rs.subarray(32, 64));
  if (r === 0n || r >= SECP256K1_ORDER || s === 0n || s >= SECP256K1_ORDER) {
    throw new SignatureRecoveryError('out_of_range', 'signature values out of range 1..n-1');
  }
  // R = u1·G + u2·Q with u1 = z/s, u2 = r/s (the ECDSA verification equation). R.x ≡ r proves the
  // signature is valid for this key; R.y's parity is the recovery bit. One double multiplication on
  // a per-key precomputed table instead of up to two full recoveries: the signing path's hot spot.
  const Fn = secp256k1.Point.Fn;
  const sInv = Fn.inv(s);
  const z = Fn.create(bytesToNumberBE(digest));
  const R = secp256k1.Point.BASE.multiplyUnsafe(Fn.mul(z, sInv)).add(keyPoint(publicKey).multiplyUnsafe(Fn.mul(r, sInv)));
  if (R.is0()) throw new SignatureRecoveryError('not_by_key', 'signature does not verify with the signing key');
  const { x, y } = R.toAffine();
  if (Fn.create(x) !== r) throw new SignatureRecoveryError('not_by_key', 'signature does not verify with the signing key');
  // The release condition: recovery from (r, s, yParity) gives back the signing key Q. A verifier
  // lifts R' = (r, the y of parity yParity) and computes Q' = r⁻¹(s·R' − z·G). The point R above
  // satisfies s·R = z·G + r·Q, so Q' = Q exactly when R' = R, i.e. when R.x = r (not merely ≡ r mod n)
  // and yParity is R.y's parity. R.x = r + n (a valid ECDSA signature: x ≡ r) is the one case where
  // no yParity names Q, and Ethereum cannot say "x = r + n": refuse it.
  if (x !== r) throw new SignatureRecoveryError('r_overflow', 'signature point R has x >= n: no recovery id names the signing key');
  let yParity: 0 | 1 = (y & 1n) === 1n ? 1 : 0;
  if (s > HALF_ORDER) {
    // EIP-2 low-s: (r, n - s) is the signature of -R (same x), whose y has the other parity.
    s = SECP256K1_ORDER - s;
    yParity = yParity === 1 ? 0 : 1;
  }
  return { r, s, yParity };
}

/** Public keys with their multiplication tables, built once per key (a few keys per device). */
const keyPoints = new Map<string, ReturnType<typeof secp256k1.Point.fromBytes>>();

function keyPoint(publicKey: Uint8Array): ReturnType<typeof secp256k1.Point.fromBytes> {
  const id = bytesToHex(publicKey);
  let p = keyPoints.get(id);
  if (!p) {
    try {
      p = secp256k1.Point.fromBytes(publicKey);
    } catch (e) {
      throw new ApplianceError('internal', '"publicKey" is not a point on secp256k1', undefined, { cause: e });
    }
    p.precompute(8, false);
    if (keyPoints.size >= 256) keyPoints.clear();
    keyPoints.set(id, p);
  }
  return p;
}
