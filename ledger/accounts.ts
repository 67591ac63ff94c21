// Accounts: one per owner and asset. Customer accounts hold what the custody owes a customer; house
// accounts are each custody address (as the negative mirror of what it holds on chain), the network
// fees paid, and suspense for what cannot be matched. Opening an account is idempotent and creates its
// four balance rows at zero.
import { assertAssetId } from './assets.js';
import type { Queryable } from './db.js';
import { LedgerError } from './errors.js';
import { ACCOUNT_KINDS, STATES, type AccountKind } from './kinds.js';
import { NON_NEGATIVE } from './transitions.js';

export { ACCOUNT_KINDS, type AccountKind };

export interface AccountRef {
  kind: AccountKind;
  /** The customer id, the custody address (0x, lower case), or `house` for fees and suspense. */
  owner: string;
  asset: string;
}

const OWNER_RE = /^[A-Za-z0-9._@-]{1,128}$/;

export function accountId(ref: AccountRef): string {
  if (!(ACCOUNT_KINDS as readonly string[]).includes(ref.kind)) throw new LedgerError('bad_entry', 'bad account kind', { kind: ref.kind });
  if (!OWNER_RE.test(ref.owner)) throw new LedgerError('bad_entry', 'bad account owner', { owner: ref.owner });
  if (ref.kind === 'custody' && !/^0x[0-9a-f]{40}$/.test(ref.owner)) throw new LedgerError('bad_entry', 'a custody account is named by its lower-case address', { owner: ref.owner });
  assertAssetId(ref.asset);
  return `${ref.kind}/${ref.owner}/${ref.asset}`;
}

export const customerAccount = (customer: string, asset: string): AccountRef => ({ kind: 'customer', owner: customer, asset });
export const custodyAccount = (address: string, asset: string): AccountRef => ({ kind: 'custody', owner: address.toLowerCase(), asset });
export const feesAccount = (asset: string): AccountRef => ({ kind: 'fees', owner: 'house', asset });
export const suspenseAccount = (asset: string): AccountRef => ({ kind: 'suspense', owner: 'house', asset });

/** Opens the account if it is new (with its four balances at zero); returns its id either way. */
export async function openAccount(db: Queryable, ref: AccountRef): Promise<string> {
  const id = accountId(ref);
  await db.query('INSERT INTO ledger_accounts (id, kind, owner, asset) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [id, ref.kind, ref.owner, ref.asset]);
  for (const state of STATES) {
    const floorZero = NON_NEGATIVE[ref.kind].includes(state);
    await db.query('INSERT INTO ledger_balances (account_id, state, amount, floor_zero) VALUES ($1, $2, 0, $3) ON CONFLICT (account_id, state) DO NOTHING', [id, state, floorZero]);
  }
  return id;
}
