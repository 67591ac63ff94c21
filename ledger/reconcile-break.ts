// One break of a reconciliation, inside the run's transaction: the difference posted to suspense
// (suspense.inflow when the chain holds more than the ledger, suspense.outflow when it holds less), an
// exception opened for it and a `reconciliation.break` event, all committed together. The posting's
// idempotency key is derived from the chain, block, address and asset (and the ledger's figure it
// corrects), so the same break found twice is one entry, one exception and one event.
import { createHash } from 'node:crypto';
import { custodyAccount, openAccount, suspenseAccount } from './accounts.js';
import type { Queryable } from './db.js';
import { appendEvent } from './events.js';
import { exceptionForEntry, insertException, type ReconException } from './exceptions.js';
import { postEntryIn } from './journal.js';
import type { ExceptionKind } from './reconcile-types.js';

export interface Break {
  chainId: bigint;
  block: bigint;
  address: string;
  asset: string;
  /** What the ledger said before this posting (minus the custody Settled). */
  ledger: bigint;
  /** chain - ledger, non-zero. */
  difference: bigint;
  reconciliationId: number;
  at: Date;
}

export function breakKey(b: Pick<Break, 'chainId' | 'block' | 'address' | 'asset' | 'ledger'>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([b.address, b.asset, b.ledger.toString()]))
    .digest('hex');
  return `reconcile:${b.chainId}:${b.block}:${digest}`;
}

export async function postBreak(tx: Queryable, b: Break): Promise<ReconException> {
  const kind: ExceptionKind = b.difference > 0n ? 'unknown_inflow' : 'missing_outflow';
  const amount = b.difference > 0n ? b.difference : -b.difference;
  const custody = custodyAccount(b.address, b.asset);
  const suspense = suspenseAccount(b.asset);
  await openAccount(tx, custody);
  await openAccount(tx, suspense);
  const sign = kind === 'unknown_inflow' ? 1n : -1n;
  const posted = await postEntryIn(tx, {
    kind: kind === 'unknown_inflow' ? 'suspense.inflow' : 'suspense.outflow',
    idempotencyKey: breakKey(b),
    trace: { traceId: `reconcile:${b.chainId}:${b.block}:${b.address}` },
    lines: [
      { account: custody, state: 'settled', amount: -sign * amount },
      { account: suspense, state: 'settled', amount: sign * amount },
    ],
  });
  if (posted.duplicate) {
    const existing = await exceptionForEntry(tx, posted.entry.id);
    if (existing !== null) return existing;
  }
  const e = await insertException(tx, {
    chainId: b.chainId,
    address: b.address,
    asset: b.asset,
    amount,
    block: b.block,
    reconciliationId: b.reconciliationId,
    kind,
    entryId: posted.entry.id,
    at: b.at,
  });
  await appendEvent(
    tx,
    'reconciliation.break',
    {
      exceptionId: e.id,
      reconciliationId: b.reconciliationId,
      kind,
      chainId: b.chainId.toString(),
      block: b.block.toString(),
      address: b.address,
      asset: b.asset,
      amount: amount.toString(),
      entryId: posted.entry.id,
    },
    b.at,
  );
  return e;
}
