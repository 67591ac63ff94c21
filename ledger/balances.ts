// Reading balances: the four states of each account, as stored beside the journal (updated in the
// posting's own transaction; replay.ts recomputes them from the journal alone).
import type { AccountRef } from './accounts.js';
import { accountId } from './accounts.js';
import type { Queryable } from './db.js';
import type { AccountKind, BalanceState } from './kinds.js';

export type StateAmounts = Record<BalanceState, bigint>;

export interface AccountBalance extends StateAmounts {
  accountId: string;
  kind: AccountKind;
  owner: string;
  asset: string;
}

export const zeroAmounts = (): StateAmounts => ({ available: 0n, reserved: 0n, pending: 0n, settled: 0n });

interface Row {
  id: string;
  kind: AccountKind;
  owner: string;
  asset: string;
  state: BalanceState;
  amount: string;
}

/** Every account's balances, by account id. */
export async function allBalances(db: Queryable): Promise<Map<string, AccountBalance>> {
  return collect(
    await db.query<Row>('SELECT a.id, a.kind, a.owner, a.asset, b.state, b.amount::text AS amount FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id ORDER BY a.id, b.state'),
  );
}

/** One account's balances, or null when it was never opened. */
export async function accountBalance(db: Queryable, ref: AccountRef): Promise<AccountBalance | null> {
  const rows = await db.query<Row>('SELECT a.id, a.kind, a.owner, a.asset, b.state, b.amount::text AS amount FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id WHERE a.id = $1', [
    accountId(ref),
  ]);
  return collect(rows).get(accountId(ref)) ?? null;
}

function collect(r: { rows: Row[] }): Map<string, AccountBalance> {
  const out = new Map<string, AccountBalance>();
  for (const row of r.rows) {
    let b = out.get(row.id);
    if (b === undefined) {
      b = { accountId: row.id, kind: row.kind, owner: row.owner, asset: row.asset, ...zeroAmounts() };
      out.set(row.id, b);
    }
    b[row.state] = BigInt(row.amount);
  }
  return out;
}
