// The names of an HD-derived key (docs/hd-wallets.md), shared by the appliance, which gives them, and
// the ledger, which registers a deposit address derived from an account xpub before the key exists in
// the token: the BIP-44 Ethereum path m/44'/60'/a'/0/i, and the CKA_ID and key id that follow from the
// wallet and the path (so a restored device, deriving the key again, names it the same).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** m/44'/60'/a'/0/i (a and i already checked to be BIP-32 non-hardened indexes). */
export function ethereumAddressPath(account: number, index: number): string {
  return `m/44'/60'/${account}'/0/${index}`;
}

/** CKA_ID of the key derived at `path` of a wallet: the first 16 bytes of SHA-256("hd-key:<walletId>:<path>"). */
export function hdDerivedCkaId(walletId: string, path: string): Uint8Array {
  return sha256(new TextEncoder().encode(`hd-key:${walletId}:${path}`)).subarray(0, 16);
}

/** The key id the appliance gives that key: k- and the CKA_ID in hex. */
export function hdDerivedKeyId(walletId: string, path: string): string {
  return `k-${bytesToHex(hdDerivedCkaId(walletId, path))}`;
}
