// Read-only queries for the custody service's API: balances filtered by owner, account kind and asset,
// journal entries filtered by account, kind and trace id one page at a time (id order, after a cursor),
// and the custody addresses of every chain. Nothing here writes.
import type { AccountBalance } from './balances.js';
import { zeroAmounts } from './balances.js';
import type { Queryable } from './db.js';
import type { Entry } from './entry.js';
import { entryFromRows, type EntryRow, type LineRow } from './journal.js';
import type { AccountKind, BalanceState } from './kinds.js';
import type { CustodyAddress, AddressRole } from './custody-addresses.js';

export interface BalanceFilter {
  kind?: AccountKind;
  owner?: string;
  asset?: string;
}

interface BalanceRow {
  id: string;
  kind: AccountKind;
  owner: string;
  asset: string;
  state: BalanceState;
  amount: string;
}

/** The balances of the accounts that match every given filter, in account id order. */
export async function findBalances(db: Queryable, filter: BalanceFilter = {}): Promise<AccountBalance[]> {
  const r = await db.query<BalanceRow>(
    'SELECT a.id, a.kind, a.owner, a.asset, b.state, b.amount::text AS amount FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id' +
      ' WHERE ($1::text IS NULL OR a.kind = $1) AND ($2::text IS NULL OR a.owner = $2) AND ($3::text IS NULL OR a.asset = $3) ORDER BY a.id, b.state',
    [filter.kind ?? null, filter.owner ?? null, filter.asset ?? null],
  );
  const out = new Map<string, AccountBalance>();
  for (const row of r.rows) {
    let b = out.get(row.id);
    if (b === undefined) out.set(row.id, (b = { accountId: row.id, kind: row.kind, owner: row.owner, asset: row.asset, ...zeroAmounts() }));
    b[row.state] = BigInt(row.amount);
  }
  return [...out.values()];
}

export interface EntryFilter {
  /** Entries with a line on this account id. */
  account?: string;
  kind?: string;
  traceId?: string;
  /** Entries with an id above this one (the cursor); 0 from the start. */
  after: number;
  limit: number;
}

const ENTRY_COLUMNS = 'e.id::text AS id, e.kind, e.idempotency_key, e.trace_id, e.bridge_request_id, e.audit_seq::text AS audit_seq, e.reverses::text AS reverses';

/** A page of the entries matching the filter, in id order. */
export async function findEntries(db: Queryable, filter: EntryFilter): Promise<Entry[]> {
  const es = await db.query<EntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM ledger_entries e WHERE e.id > $1 AND ($2::text IS NULL OR e.kind = $2) AND ($3::text IS NULL OR e.trace_id = $3)` +
      ' AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM ledger_lines x WHERE x.entry_id = e.id AND x.account_id = $4)) ORDER BY e.id LIMIT $5',
    [filter.after, filter.kind ?? null, filter.traceId ?? null, filter.account ?? null, filter.limit],
  );
  if (es.rows.length === 0) return [];
  const ids = es.rows.map((e) => e.id);
  const ls = await db.query<LineRow>(
    'SELECT l.entry_id::text AS entry_id, l.account_id, a.kind, a.asset, l.state, l.amount::text AS amount FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id WHERE l.entry_id = ANY($1::bigint[]) ORDER BY l.entry_id, l.line_no',
    [ids],
  );
  const byEntry = new Map<string, LineRow[]>();
  for (const l of ls.rows) byEntry.set(l.entry_id, [...(byEntry.get(l.entry_id) ?? []), l]);
  return es.rows.map((e) => entryFromRows(e, byEntry.get(e.id) ?? []));
}

interface AddressRow {
  chain_id: string;
  address: string;
  role: AddressRole;
  customer: string | null;
  key_id: string | null;
  key_group: string | null;
}

/** Custody addresses of every chain (or one), optionally of one role or customer, by chain then address. */
export async function findCustodyAddresses(db: Queryable, filter: { chainId?: bigint; role?: AddressRole; customer?: string } = {}): Promise<CustodyAddress[]> {
  const r = await db.query<AddressRow>(
    'SELECT chain_id::text AS chain_id, address, role, customer, key_id, key_group FROM ledger_custody_addresses' +
      ' WHERE ($1::bigint IS NULL OR chain_id = $1) AND ($2::text IS NULL OR role = $2) AND ($3::text IS NULL OR customer = $3) ORDER BY chain_id, address',
    [filter.chainId?.toString() ?? null, filter.role ?? null, filter.customer ?? null],
  );
  return r.rows.map((row) => {
    const a: CustodyAddress = { chainId: BigInt(row.chain_id), address: row.address, role: row.role };
    if (row.customer !== null) a.customer = row.customer;
    if (row.key_id !== null) a.keyId = row.key_id;
    if (row.key_group !== null) a.keyGroup = row.key_group;
    return a;
  });
}
