// BIP-39 mnemonic and seed, BIP-32 derivation and BIP-44 Ethereum paths (m/44'/60'/a'/0/i), through
// @scure/bip39 and @scure/bip32. This runs in the appliance process, not in the token: PKCS#11 has no
// BIP-32 mechanism (the seed is HMAC-SHA512 *data* under the fixed key "Bitcoin seed"), so the caller
// decrypts the seed from the token for one derivation, and wipes the seed and every private node here
// before returning (docs/hd-wallets.md says which step runs where).
import { HDKey } from '@scure/bip32';
import { entropyToMnemonic, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ApplianceError } from '../../protocol/errors.js';
import { ethereumAddressPath } from '../../protocol/hd-key-id.js';

/** BIP-32: indexes at or above 2^31 are hardened. */
export const HARDENED = 0x8000_0000;
/** Largest account or address index accepted (non-hardened range). */
export const MAX_INDEX = HARDENED - 1;

/** The English BIP-39 mnemonic of 16 to 32 bytes of entropy (24 words for 32 bytes). */
export function mnemonicFromEntropy(entropy: Uint8Array): string {
  if (entropy.length < 16 || entropy.length > 32 || entropy.length % 4 !== 0) throw new ApplianceError('bad_request', `"entropy" expected 16, 20, 24, 28 or 32 bytes, got ${entropy.length}`);
  return entropyToMnemonic(entropy, wordlist);
}

/** The 64-byte BIP-39 seed of a mnemonic (PBKDF2-HMAC-SHA512, 2048 rounds); the checksum is checked first. */
export function seedFromMnemonic(mnemonic: string, passphrase = ''): Uint8Array {
  if (!validateMnemonic(mnemonic, wordlist)) throw new ApplianceError('bad_request', 'not a valid English BIP-39 mnemonic');
  return mnemonicToSeedSync(mnemonic, passphrase);
}

/** m/44'/60'/a': the account level, whose extended public key the ledger derives deposit addresses from. */
export function accountPath(account: number): string {
  assertIndex('account', account);
  return `m/44'/60'/${account}'`;
}

/** m/44'/60'/a'/0/i: the i-th external address of account a (BIP-44, coin type 60 = Ethereum). */
export function addressPath(account: number, index: number): string {
  assertIndex('account', account);
  assertIndex('index', index);
  return ethereumAddressPath(account, index);
}

/** Parses a path this module makes (m/44'/60'/a'/0/i) back into its account and index; anything else is refused. */
export function parseAddressPath(path: string): { account: number; index: number } {
  const m = /^m\/44'\/60'\/(\d{1,10})'\/0\/(\d{1,10})$/.exec(path);
  const account = m ? Number(m[1]) : NaN;
  const index = m ? Number(m[2]) : NaN;
  if (!Number.isInteger(account) || !Number.isInteger(index) || account > MAX_INDEX || index > MAX_INDEX)
    throw new ApplianceError('bad_request', `"path" expected m/44'/60'/a'/0/i, got ${JSON.stringify(path)}`);
  return { account, index };
}

export interface DerivedKey {
  /** 32 bytes; the caller imports it into the token and zeroes it. */
  privateKey: Uint8Array;
  /** Uncompressed SEC1 point, 65 bytes. */
  publicKey: Uint8Array;
}

/** BIP-32 private derivation of `path` from the seed. The seed is not changed; intermediate nodes are wiped. */
export function derivePrivate(seed: Uint8Array, path: string): DerivedKey {
  const master = HDKey.fromMasterSeed(seed);
  const node = master.derive(path);
  try {
    const priv = node.privateKey;
    if (!priv) throw new ApplianceError('internal', 'derivation gave no private key');
    const privateKey = new Uint8Array(priv);
    return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, false) };
  } finally {
    node.wipePrivateData();
    master.wipePrivateData();
  }
}

/** The extended public key (xpub, BIP-32 serialisation) of `path`; intermediate nodes are wiped. */
export function extendedPublicKey(seed: Uint8Array, path: string): string {
  const master = HDKey.fromMasterSeed(seed);
  const node = master.derive(path);
  try {
    return node.publicExtendedKey;
  } finally {
    node.wipePrivateData();
    master.wipePrivateData();
  }
}

/** The extended private key of `path`: for the standards vectors only, never called by a command. */
export function extendedPrivateKeyForVectors(seed: Uint8Array, path: string): string {
  const master = HDKey.fromMasterSeed(seed);
  const node = master.derive(path);
  try {
    return node.privateExtendedKey;
  } finally {
    node.wipePrivateData();
    master.wipePrivateData();
  }
}

/** Public derivation from an xpub (what the ledger does): the uncompressed public key of child `0/i`. */
export function publicKeyFromXpub(xpub: string, index: number): Uint8Array {
  assertIndex('index', index);
  const child = HDKey.fromExtendedKey(xpub).deriveChild(0).deriveChild(index);
  if (!child.publicKey) throw new ApplianceError('internal', 'derivation gave no public key');
  return secp256k1.Point.fromBytes(child.publicKey).toBytes(false);
}

function assertIndex(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > MAX_INDEX) throw new ApplianceError('bad_request', `"${name}" expected an integer from 0 to ${MAX_INDEX}, got ${String(v)}`, { field: name });
}
