// Deposit addresses from an HD wallet's account xpub (issue 18 item 2, docs/hd-wallets.md): the ledger
// derives m/44'/60'/a'/0/i from the account-level extended public key it was given once (GET
// /v1/hd-wallets/{walletId}/accounts/{a}/xpub), with no appliance call per address, and registers the
// address as the customer's deposit address under the key id the appliance will give that key
// (protocol/hd-key-id.ts). The key enters the token only when it must sign (a sweep):
// ensureDepositKey asks the appliance to derive it (an admin's token) and checks it is that address.
import { randomUUID } from 'node:crypto';
import { HDKey } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ethereumAddressPath, hdDerivedKeyId } from '../protocol/hd-key-id.js';
import { BridgeError, type BridgeClient, type BridgeKey } from './bridge-client.js';
import { registerCustodyAddress, type CustodyAddress } from './custody-addresses.js';
import type { Queryable } from './db.js';
import { LedgerError } from './errors.js';
import { stampHdDerive, type StampingPrincipal } from './request-stamps.js';

const HARDENED = 0x8000_0000;

function checkIndex(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= HARDENED) throw new LedgerError('bad_entry', `${name} must be an integer from 0 to 2^31-1`, { [name]: v });
}

/**
 * The address (0x, lower case) of m/44'/60'/account'/0/index, from the xpub of m/44'/60'/account'.
 * The xpub must be that account's: depth 3 and child number account + 2^31.
 */
export function addressFromAccountXpub(xpub: string, account: number, index: number): string {
  checkIndex('account', account);
  checkIndex('index', index);
  let node: HDKey;
  try {
    node = HDKey.fromExtendedKey(xpub);
  } catch {
    throw new LedgerError('bad_entry', 'not a BIP-32 extended public key');
  }
  if (node.privateKey) throw new LedgerError('bad_entry', 'an extended private key was given: the ledger takes the xpub only');
  if (node.depth !== 3 || node.index !== HARDENED + account)
    throw new LedgerError('bad_entry', `the xpub is not account ${account}'s (m/44'/60'/${account}')`, { depth: node.depth, index: node.index });
  const child = node.deriveChild(0).deriveChild(index);
  if (!child.publicKey) throw new LedgerError('bad_entry', 'the xpub derived no public key');
  const point = secp256k1.Point.fromBytes(child.publicKey).toBytes(false);
  return `0x${bytesToHex(keccak_256(point.subarray(1)).subarray(12))}`;
}

export interface XpubDepositAddress {
  chainId: bigint;
  customer: string;
  walletId: string;
  /** The xpub of m/44'/60'/account'. */
  xpub: string;
  account: number;
  index: number;
  /** The deposit key group the key will be derived into (a sweep group of the policy). */
  group: string;
}

/** Registers m/44'/60'/account'/0/index as the customer's deposit address (idempotent), with no appliance call. */
export async function registerXpubDepositAddress(db: Queryable, o: XpubDepositAddress): Promise<CustodyAddress> {
  const address = addressFromAccountXpub(o.xpub, o.account, o.index);
  const keyId = hdDerivedKeyId(o.walletId, ethereumAddressPath(o.account, o.index));
  return registerCustodyAddress(db, { chainId: o.chainId, address, role: 'deposit', customer: o.customer, keyId, keyGroup: o.group });
}

/**
 * Makes sure the deposit address's key is in the token before it signs: asks the appliance to derive it
 * (an admin's bridge client, stamped by that admin when it stamps; a path already derived answers 409
 * and is read instead), and checks the key is the registered one (same key id and address).
 */
export async function ensureDepositKey(
  bridge: BridgeClient,
  registered: CustodyAddress,
  o: { walletId: string; account: number; index: number; label: string; admin?: StampingPrincipal; deviceId?: string; stampTtlSeconds?: number },
): Promise<BridgeKey> {
  if (registered.keyId === undefined || registered.keyGroup === undefined) throw new LedgerError('bad_entry', 'the address has no key id or group registered', { address: registered.address });
  const body: Record<string, unknown> = { account: o.account, index: o.index, group: registered.keyGroup, label: o.label };
  if (o.admin?.stamp !== undefined) {
    if (o.deviceId === undefined) throw new LedgerError('bad_entry', 'a stamped request names the device id');
    body.requestId = `hd-derive-${randomUUID()}`;
    body.stamp = await stampHdDerive(o.deviceId, { id: o.admin.id, stamp: o.admin.stamp }, o.walletId, body, o.stampTtlSeconds);
  }
  let key: BridgeKey;
  try {
    key = await bridge.deriveHdKey(o.walletId, body as { account: number; index: number; group: string; label: string });
  } catch (err) {
    if (!(err instanceof BridgeError) || err.status !== 409) throw err;
    key = await bridge.getKey(registered.keyId);
  }
  if (key.keyId !== registered.keyId || key.address.toLowerCase() !== registered.address) {
    throw new LedgerError('bad_entry', 'the appliance derived another key than the registered deposit address', { keyId: key.keyId, address: key.address, registered: registered.address });
  }
  return key;
}
