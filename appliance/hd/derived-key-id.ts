// How a derived key is named (docs/hd-wallets.md): its CKA_ID and key id follow from the wallet and
// the path (protocol/hd-key-id.ts, shared with the ledger), so a restored device that derives the key
// again gives it the same names; and the origin string its attestation certificate carries.
import { hdDerivedCkaId } from '../../protocol/hd-key-id.js';

/** CKA_ID of the key derived at `path` of a wallet (16 bytes). */
export function derivedKeyCkaId(walletId: string, path: string): Uint8Array {
  return new Uint8Array(hdDerivedCkaId(walletId, path));
}

/** The certificate's hdDerivation extension: "<walletId> <path>". */
export function hdOrigin(walletId: string, path: string): string {
  return `${walletId} ${path}`;
}
