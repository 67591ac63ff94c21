// HD deposit addresses (issue 18 item 2, docs/ledger.md "HD deposit addresses"): the custody service
// reads an HD account's extended public key from the appliance once (GET …/accounts/{a}/xpub) and
// stores it; each new deposit address is then m/44'/60'/a'/0/i derived here from that xpub, with the
// index i allocated in the ledger's database (one transaction: the account row's counter and the
// address's registration), so no appliance call is made per address and no index is handed out twice.
// A sweep needs the address's key in the token: before the first one, `hdDepositKey` asks the appliance
// to derive that path (POST …/keys, an admin's token and stamp), checks the answered address is the one
// the xpub gave (otherwise it records the mismatch, emits `hd.key_mismatch` and refuses), and records
// the key id on the address; the sweep is then signed like any other.
import { randomUUID } from 'node:crypto';
import { BridgeError, type BridgeClient, type BridgeKey } from './bridge-client.js';
import { registerCustodyAddress, type CustodyAddress } from './custody-addresses.js';
import type { Db, Queryable } from './db.js';
import { LedgerError } from './errors.js';
import { appendEvent } from './events.js';
import { accountNodeOf, depositAddressFromXpub, hdAddressPath, MAX_HD_INDEX } from './hd-xpub.js';
import { stampHdDerive, type StampingPrincipal } from './request-stamps.js';

/** The HD account a chain's deposit addresses come from (the custody config's `chains[].hdDeposits`). */
export interface HdAccountRef {
  /** The appliance's wallet id (`hd-…`). */
  walletId: string;
  /** a in m/44'/60'/a'. */
  account: number;
}

export interface HdDepositAddress extends HdAccountRef {
  chainId: bigint;
  /** 0x and 40 lower-case hex digits. */
  address: string;
  customer: string;
  /** i in m/44'/60'/a'/0/i. */
  index: number;
  /** m/44'/60'/a'/0/i. */
  path: string;
  /** The label the key gets when the appliance derives it. */
  label: string;
  /** The appliance's key id, once derived into the token for a sweep. */
  keyId?: string;
  /** Why the appliance's derived key was refused (its address differed); no sweep is asked then. */
  mismatch?: string;
}

interface Row {
  wallet_id: string;
  account: number;
  address_index: number;
  chain_id: string;
  address: string;
  customer: string;
  label: string;
  key_id: string | null;
  mismatch: string | null;
}

const COLUMNS = 'wallet_id, account, address_index, chain_id::text AS chain_id, address, customer, label, key_id, mismatch';

function fromRow(r: Row): HdDepositAddress {
  return {
    walletId: r.wallet_id,
    account: Number(r.account),
    index: Number(r.address_index),
    path: hdAddressPath(Number(r.account), Number(r.address_index)),
    chainId: BigInt(r.chain_id),
    address: r.address,
    customer: r.customer,
    label: r.label,
    ...(r.key_id === null ? {} : { keyId: r.key_id }),
    ...(r.mismatch === null ? {} : { mismatch: r.mismatch }),
  };
}

/** The stored xpub of the account, or null. */
export async function storedAccountXpub(db: Queryable, ref: HdAccountRef): Promise<string | null> {
  const r = await db.query<{ xpub: string }>('SELECT xpub FROM ledger_hd_accounts WHERE wallet_id = $1 AND account = $2', [ref.walletId, ref.account]);
  return r.rows[0]?.xpub ?? null;
}

/**
 * The account's xpub: the stored one, else read once with `fetchXpub` (the bridge), checked to be the
 * public account node m/44'/60'/a', and stored. Two services storing it at once keep the first; a
 * second read that differs from the stored one is refused (`hd_key_mismatch`).
 */
export async function ensureAccountXpub(db: Queryable, ref: HdAccountRef, fetchXpub: () => Promise<string>): Promise<string> {
  const have = await storedAccountXpub(db, ref);
  if (have !== null) return have;
  const xpub = await fetchXpub();
  accountNodeOf(xpub, ref.account);
  await db.query('INSERT INTO ledger_hd_accounts (wallet_id, account, xpub) VALUES ($1, $2, $3) ON CONFLICT (wallet_id, account) DO NOTHING', [ref.walletId, ref.account, xpub]);
  const stored = await storedAccountXpub(db, ref);
  if (stored !== xpub) throw new LedgerError('hd_key_mismatch', 'the appliance answered another xpub than the one stored for the account', { walletId: ref.walletId, account: ref.account });
  return stored;
}

export interface AllocateHdDepositAddress extends HdAccountRef {
  chainId: bigint;
  customer: string;
  /** The deposit key group the key will be derived into (registered on the address). */
  group: string;
  /** The key's label when the appliance derives it. */
  label: string;
}

/**
 * The next deposit address of the account (its xpub stored first with `ensureAccountXpub`): the index
 * taken from the account's counter under its row lock, the address derived from the xpub, registered
 * as the customer's deposit address and recorded with its path, all in one transaction. Concurrent
 * calls get distinct indexes; a call that fails leaves the counter where it was.
 */
export async function allocateHdDepositAddress(db: Db, o: AllocateHdDepositAddress): Promise<{ address: CustodyAddress; hd: HdDepositAddress }> {
  return db.transaction(async (tx) => {
    const r = await tx.query<{ index: string; xpub: string }>(
      'UPDATE ledger_hd_accounts SET next_index = next_index + 1 WHERE wallet_id = $1 AND account = $2 AND next_index <= $3 RETURNING (next_index - 1)::text AS index, xpub',
      [o.walletId, o.account, MAX_HD_INDEX],
    );
    const row = r.rows[0];
    if (row === undefined) {
      const xpub = await storedAccountXpub(tx, o);
      if (xpub === null) throw new LedgerError('not_found', 'no xpub stored for the HD account', { walletId: o.walletId, account: o.account });
      throw new LedgerError('bad_entry', 'every address index of the HD account is taken', { walletId: o.walletId, account: o.account });
    }
    const index = Number(row.index);
    const address = depositAddressFromXpub(row.xpub, o.account, index);
    const registered = await registerCustodyAddress(tx, { chainId: o.chainId, address, role: 'deposit', customer: o.customer, keyGroup: o.group });
    await tx.query('INSERT INTO ledger_hd_addresses (wallet_id, account, address_index, chain_id, address, customer, label) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      o.walletId,
      o.account,
      index,
      o.chainId.toString(),
      address,
      o.customer,
      o.label,
    ]);
    const hd: HdDepositAddress = { walletId: o.walletId, account: o.account, index, path: hdAddressPath(o.account, index), chainId: o.chainId, address, customer: o.customer, label: o.label };
    return { address: registered, hd };
  });
}

/** The HD path behind a deposit address, or null when it is not one. */
export async function findHdDepositAddress(db: Queryable, chainId: bigint, address: string): Promise<HdDepositAddress | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_hd_addresses WHERE chain_id = $1 AND address = $2`, [chainId.toString(), address.toLowerCase()]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}

/** The HD deposit addresses of a chain, in (wallet, account, index) order. */
export async function listHdDepositAddresses(db: Queryable, chainId: bigint): Promise<HdDepositAddress[]> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_hd_addresses WHERE chain_id = $1 ORDER BY wallet_id, account, address_index`, [chainId.toString()]);
  return r.rows.map(fromRow);
}

/** Who derives an HD deposit address's key into the appliance: an admin through the bridge. */
export interface HdKeyDeriver {
  /** A client with the admin's bridge token. */
  bridge: BridgeClient;
  /** That admin, with its request key's stamper when it stamps. */
  admin: StampingPrincipal;
  deviceId: string;
  /** The deposit key group (the policy's sweep group). */
  group: string;
  stampTtlSeconds?: number;
}

/** Asks the appliance to derive the path; a path derived before (409 naming its key id) is read back instead. */
async function deriveOrRead(d: HdKeyDeriver, a: HdDepositAddress): Promise<BridgeKey> {
  const body: Record<string, unknown> = { account: a.account, index: a.index, group: d.group, label: a.label };
  if (d.admin.stamp !== undefined) {
    body.requestId = `hd-derive-${randomUUID()}`;
    body.stamp = await stampHdDerive(d.deviceId, { id: d.admin.id, stamp: d.admin.stamp }, a.walletId, body, d.stampTtlSeconds);
  }
  try {
    return await d.bridge.hdDeriveKey(a.walletId, body as { account: number; index: number; group: string; label: string });
  } catch (err) {
    const keyId = err instanceof BridgeError && err.code === 'conflict' ? err.details?.keyId : undefined;
    if (typeof keyId !== 'string') throw err;
    return d.bridge.getKey(keyId);
  }
}

/**
 * The key id of an HD deposit address, derived into the appliance the first time (then recorded on the
 * address and its registry row). An answered address other than the xpub's is recorded as the
 * address's mismatch with an `hd.key_mismatch` event, and refused (`hd_key_mismatch`), now and on
 * every later call, so nothing is ever signed for it.
 */
export async function hdDepositKey(db: Db, d: HdKeyDeriver, a: HdDepositAddress): Promise<string> {
  const current = (await findHdDepositAddress(db, a.chainId, a.address)) ?? a;
  const refuse = (why: string): never => {
    throw new LedgerError('hd_key_mismatch', why, { chainId: a.chainId.toString(), address: a.address, walletId: a.walletId, path: a.path });
  };
  if (current.mismatch !== undefined) refuse(`the HD deposit address was refused before: ${current.mismatch}`);
  if (current.keyId !== undefined) return current.keyId;
  const key = await deriveOrRead(d, current);
  const answered = key.address.toLowerCase();
  if (answered !== current.address) {
    const why = `the appliance derived ${answered} at ${current.path} of ${current.walletId}, the xpub gives ${current.address}`;
    await db.transaction(async (tx) => {
      await tx.query('UPDATE ledger_hd_addresses SET mismatch = $3 WHERE chain_id = $1 AND address = $2 AND mismatch IS NULL', [current.chainId.toString(), current.address, why]);
      await appendEvent(tx, 'hd.key_mismatch', {
        chainId: current.chainId.toString(),
        address: current.address,
        answered,
        keyId: key.keyId,
        walletId: current.walletId,
        path: current.path,
        customer: current.customer,
      });
    });
    refuse(why);
  }
  if (key.group !== d.group) throw new LedgerError('bad_entry', 'the appliance holds the derived key in another group than the deposit group', { keyId: key.keyId, asked: d.group, got: key.group });
  await db.transaction(async (tx) => {
    await tx.query('UPDATE ledger_hd_addresses SET key_id = $3 WHERE chain_id = $1 AND address = $2 AND key_id IS NULL', [current.chainId.toString(), current.address, key.keyId]);
    await tx.query('UPDATE ledger_custody_addresses SET key_id = $3, key_group = $4 WHERE chain_id = $1 AND address = $2 AND key_id IS NULL', [
      current.chainId.toString(),
      current.address,
      key.keyId,
      key.group,
    ]);
  });
  return (await findHdDepositAddress(db, a.chainId, a.address))?.keyId ?? key.keyId;
}
