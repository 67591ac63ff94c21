// A customer's deposit, included and final, posted straight to the journal (two entries): what a test
// of withdrawals, the API or reconciliation needs as money already in Available. The chain watcher's
// own tests credit deposits from the chain instead.
import { customerAccount, custodyAccount, openAccount } from '../../ledger/accounts.js';
import type { Db } from '../../ledger/db.js';
import { postEntry } from '../../ledger/journal.js';

export interface FinalDeposit {
  customer: string;
  /** The custody address that received it. */
  custody: string;
  asset: string;
  amount: bigint;
  /** Trace id and the stem of the two idempotency keys. */
  key: string;
}

export async function creditFinalDeposit(db: Db, d: FinalDeposit): Promise<void> {
  const c = customerAccount(d.customer, d.asset);
  const h = custodyAccount(d.custody, d.asset);
  await openAccount(db, c);
  await openAccount(db, h);
  await postEntry(db, {
    kind: 'deposit.inclusion',
    idempotencyKey: `${d.key}:inc`,
    trace: { traceId: d.key },
    lines: [
      { account: c, state: 'pending', amount: d.amount },
      { account: h, state: 'pending', amount: -d.amount },
    ],
  });
  await postEntry(db, {
    kind: 'deposit.finality',
    idempotencyKey: `${d.key}:fin`,
    trace: { traceId: d.key },
    lines: [
      { account: c, state: 'pending', amount: -d.amount },
      { account: c, state: 'available', amount: d.amount },
      { account: h, state: 'pending', amount: d.amount },
      { account: h, state: 'settled', amount: -d.amount },
    ],
  });
}
