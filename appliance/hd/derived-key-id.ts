// How a derived key is named (docs/hd-wallets.md): its CKA_ID and key id follow from the wallet and
// the path, so a restored device that derives the key again gives it the same names; and the origin
// string its attestation certificate carries.
import { createHash } from 'node:crypto';

/** CKA_ID of the key derived at `path` of a wallet (16 bytes). */
export function derivedKeyCkaId(walletId: string, path: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`hd-key:${walletId}:${path}`).digest().subarray(0, 16));
}

/** The certificate's hdDerivation extension: "<walletId> <path>". */
export function hdOrigin(walletId: string, path: string): string {
  return `${walletId} ${path}`;
}
