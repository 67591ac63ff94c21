// Deposit addresses from an HD account's extended public key (docs/ledger.md "HD deposit addresses"):
// the account node m/44'/60'/a' that the appliance exports (hd.xpub), its child 0 then child i by
// BIP-32 public derivation (@scure/bip32), and the Ethereum address of that public key (viem). The same
// computation as the appliance's `publicKeyFromXpub`; no private key, no appliance call.
import { HDKey } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, publicKeyToAddress } from 'viem/utils';
import { LedgerError } from './errors.js';

/** BIP-32: indexes at or above 2^31 are hardened. */
const HARDENED = 0x8000_0000;
/** The largest account or address index (the non-hardened range). */
export const MAX_HD_INDEX = HARDENED - 1;

function assertIndex(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > MAX_HD_INDEX) throw new LedgerError('bad_entry', `"${name}" expected an integer from 0 to ${MAX_HD_INDEX}, got ${String(v)}`, { field: name });
}

/** m/44'/60'/a'/0/i. */
export function hdAddressPath(account: number, index: number): string {
  assertIndex('account', account);
  assertIndex('index', index);
  return `m/44'/60'/${account}'/0/${index}`;
}

/**
 * The account node of `xpub`, checked: a public extended key (never a private one) at depth 3 whose
 * own index is the hardened `account`, as m/44'/60'/a' is. Anything else is refused (`bad_entry`).
 */
export function accountNodeOf(xpub: string, account: number): HDKey {
  assertIndex('account', account);
  let node: HDKey;
  try {
    node = HDKey.fromExtendedKey(xpub);
  } catch {
    throw new LedgerError('bad_entry', 'not a BIP-32 extended public key', { field: 'xpub' });
  }
  if (node.privateKey !== null && node.privateKey !== undefined) throw new LedgerError('bad_entry', 'an extended private key: the ledger takes only the public one', { field: 'xpub' });
  if (node.depth !== 3 || node.index !== HARDENED + account) throw new LedgerError('bad_entry', `not the account node m/44'/60'/${account}'`, { field: 'xpub', depth: node.depth, index: node.index });
  return node;
}

/** The deposit address m/44'/60'/a'/0/i of the account `xpub`, 0x and 40 lower-case hex digits. */
export function depositAddressFromXpub(xpub: string, account: number, index: number): string {
  assertIndex('index', index);
  const child = accountNodeOf(xpub, account).deriveChild(0).deriveChild(index);
  if (!child.publicKey) throw new LedgerError('bad_entry', 'the derivation gave no public key', { index });
  const uncompressed = secp256k1.Point.fromBytes(child.publicKey).toBytes(false);
  return publicKeyToAddress(bytesToHex(uncompressed)).toLowerCase();
}
