// A customer's deposit posted straight to the journal, with the chain watcher's lines
// (ledger/deposits.ts): its inclusion, its finality, or both (what a test of withdrawals, the API or
// reconciliation, and the chaos run, need as money already in Available). The chain watcher's own
// tests credit deposits from the chain instead.
import { customerAccount, custodyAccount, openAccount } from '../../ledger/accounts.js';
import type { Db } from '../../ledger/db.js';
import { finalityLines, inclusionLines } from '../../ledger/deposits.js';
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

const accounts = (d: FinalDeposit) => ({ c: customerAccount(d.customer, d.asset), h: custodyAccount(d.custody, d.asset) });

/** The deposit's inclusion (Pending), its two accounts opened first. */
export async function creditDepositInclusion(db: Db, d: FinalDeposit): Promise<void> {
  const { c, h } = accounts(d);
  await openAccount(db, c);
  await openAccount(db, h);
  await postEntry(db, { kind: 'deposit.inclusion', idempotencyKey: `${d.key}:inc`, trace: { traceId: d.key }, lines: inclusionLines(c, h, d.amount) });
}

/** The finality of a deposit whose inclusion was credited (Pending → Available and Settled). */
export async function creditDepositFinality(db: Db, d: FinalDeposit): Promise<void> {
  const { c, h } = accounts(d);
  await postEntry(db, { kind: 'deposit.finality', idempotencyKey: `${d.key}:fin`, trace: { traceId: d.key }, lines: finalityLines(c, h, d.amount) });
}

/** Both: the deposit in the customer's Available. */
export async function creditFinalDeposit(db: Db, d: FinalDeposit): Promise<void> {
  await creditDepositInclusion(db, d);
  await creditDepositFinality(db, d);
}
