// The Ethereum form of a token's raw ECDSA signature (low-s, yParity) on libsecp256k1 (the `secp256k1`
// package's native binding) instead of JavaScript bigint point arithmetic: the signing path's costliest
// step after the token itself. yParity is the recovery id for which recovery from (r, low s) gives back
// the signing key: tried for 0, then 1, each a native recovery compared with the known key, which is
// the release condition of firmware-policy/evm/secp256k1-signature.ts normalizeSignature itself. Any
// signature neither id recovers to the key (not by this key, or R.x >= n) goes to the pure function,
// which names its fault; it is also the whole path when the binding cannot be loaded.
import { createRequire } from 'node:module';
import { normalizeSignature } from '../firmware-policy/evm/secp256k1-signature.js';
import { SECP256K1_ORDER, type TxSignature } from '../firmware-policy/evm/transaction.js';
import { log } from './log.js';

/** The one call used from the binding (secp256k1 5.x, `bindings.js`: native only, no JavaScript fallback). */
interface NativeSecp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
}

const HALF_ORDER = SECP256K1_ORDER >> 1n;

let native: NativeSecp256k1 | null | undefined;
// A plain `require('…')` call, so the firmware measurement finds the package (attestation/measured-packages.ts).
const require = createRequire(import.meta.url);

function binding(): NativeSecp256k1 | null {
  if (native === undefined) {
    try {
      native = require('secp256k1/bindings.js') as NativeSecp256k1;
    } catch (err) {
      native = null;
      log('warn', 'libsecp256k1 binding not loaded: yParity is computed in JavaScript', { error: err instanceof Error ? err.message : String(err) });
    }
  }
  return native;
}

/** Whether the native binding is in use (the tests check that it is, so a fallback cannot hide). */
export function nativeRecoveryLoaded(): boolean {
  return binding() !== null;
}

function toBigInt(b: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(b).toString('hex'));
}

function to32(n: bigint): Buffer {
  return Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
}

/**
 * normalizeSignature's answer for a signature the key made, on libsecp256k1: s replaced by n - s when
 * above n/2 (EIP-2) and the yParity that recovers `publicKey`. Anything else is decided (and refused
 * with its fault) by the pure normalizeSignature.
 */
export function ethereumSignature(rs: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): TxSignature {
  const lib = binding();
  if (lib === null || rs.length !== 64 || digest.length !== 32 || publicKey.length !== 65) return normalizeSignature(rs, digest, publicKey);
  const r = toBigInt(rs.subarray(0, 32));
  let s = toBigInt(rs.subarray(32, 64));
  if (r === 0n || r >= SECP256K1_ORDER || s === 0n || s >= SECP256K1_ORDER) return normalizeSignature(rs, digest, publicKey);
  if (s > HALF_ORDER) s = SECP256K1_ORDER - s;
  const low = Buffer.concat([Buffer.from(rs.subarray(0, 32)), to32(s)]);
  const key = Buffer.from(publicKey);
  for (const yParity of [0, 1] as const) {
    let recovered: Uint8Array;
    try {
      recovered = lib.ecdsaRecover(low, yParity, digest, false);
    } catch {
      continue; // no point with this parity: not a signature by the key
    }
    if (key.equals(recovered)) return { r, s, yParity };
  }
  return normalizeSignature(rs, digest, publicKey);
}
