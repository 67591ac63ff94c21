// The registry of custody addresses: each key group's hot address and each customer's deposit
// addresses, per chain. Registering is idempotent: the same row again is a no-op, the same address with
// another role or customer is refused (`address_taken`), so an address never credits two owners.
import type { Queryable } from './db.js';
import { LedgerError } from './errors.js';

export const ADDRESS_ROLES = ['hot', 'deposit'] as const;
export type AddressRole = (typeof ADDRESS_ROLES)[number];

export interface CustodyAddress {
  chainId: bigint;
  /** 0x and 40 lower-case hex digits. */
  address: string;
  role: AddressRole;
  /** The customer a deposit address credits; absent for a hot address. */
  customer?: string;
  /** The appliance's key id behind the address, when the appliance made it. */
  keyId?: string;
  /** The appliance's key group of that key. */
  keyGroup?: string;
}

interface Row {
  chain_id: string;
  address: string;
  role: AddressRole;
  customer: string | null;
  key_id: string | null;
  key_group: string | null;
}

const COLUMNS = 'chain_id::text AS chain_id, address, role, customer, key_id, key_group';

function fromRow(r: Row): CustodyAddress {
  const out: CustodyAddress = { chainId: BigInt(r.chain_id), address: r.address, role: r.role };
  if (r.customer !== null) out.customer = r.customer;
  if (r.key_id !== null) out.keyId = r.key_id;
  if (r.key_group !== null) out.keyGroup = r.key_group;
  return out;
}

function check(a: CustodyAddress): string {
  const address = a.address.toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(address)) throw new LedgerError('bad_entry', 'bad address', { address: a.address });
  if (a.chainId <= 0n) throw new LedgerError('bad_entry', 'bad chain id', { chainId: a.chainId.toString() });
  if (!(ADDRESS_ROLES as readonly string[]).includes(a.role)) throw new LedgerError('bad_entry', 'bad address role', { role: a.role });
  if ((a.role === 'deposit') !== (a.customer !== undefined)) throw new LedgerError('bad_entry', 'a deposit address names its customer; a hot address names none', { role: a.role });
  return address;
}

/** Registers the address (idempotent); returns it as stored. */
export async function registerCustodyAddress(db: Queryable, a: CustodyAddress): Promise<CustodyAddress> {
  const address = check(a);
  await db.query('INSERT INTO ledger_custody_addresses (chain_id, address, role, customer, key_id, key_group) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chain_id, address) DO NOTHING', [
    a.chainId.toString(),
    address,
    a.role,
    a.customer ?? null,
    a.keyId ?? null,
    a.keyGroup ?? null,
  ]);
  const stored = await findCustodyAddress(db, a.chainId, address);
  if (stored === null || stored.role !== a.role || stored.customer !== a.customer) {
    throw new LedgerError('address_taken', 'the address is registered with another role or customer', { chainId: a.chainId.toString(), address });
  }
  return stored;
}

/** The registered address, or null. */
export async function findCustodyAddress(db: Queryable, chainId: bigint, address: string): Promise<CustodyAddress | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_custody_addresses WHERE chain_id = $1 AND address = $2`, [chainId.toString(), address.toLowerCase()]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}

/** The addresses of a chain, optionally of one role or one customer, in address order. */
export async function listCustodyAddresses(db: Queryable, chainId: bigint, filter: { role?: AddressRole; customer?: string } = {}): Promise<CustodyAddress[]> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_custody_addresses WHERE chain_id = $1 AND ($2::text IS NULL OR role = $2) AND ($3::text IS NULL OR customer = $3) ORDER BY address`, [
    chainId.toString(),
    filter.role ?? null,
    filter.customer ?? null,
  ]);
  return r.rows.map(fromRow);
}
