// Cancelling a withdrawal before anything is on its way to the chain: the state moves to `cancelled`,
// what the ledger reserved goes back to Available (withdrawal.cancel), and a reserved nonce is released
// for the next withdrawal, all in one transaction. After a broadcast a cancel is a transaction of its
// own (0 to self at the same nonce), which is the broadcaster's work, not this function's.
import { customerAccount } from '../ledger/accounts.js';
import type { Db, Queryable } from '../ledger/db.js';
import { postEntryIn } from '../ledger/journal.js';
import { OrchestratorError } from './errors.js';
import { releaseNonce } from './nonce-manager.js';
import type { WithdrawalState } from './states.js';
import { getWithdrawal, moveWithdrawal, type Withdrawal } from './withdrawal-store.js';

/** States whose funds the ledger holds as Reserved (W1 passed, nothing sent yet). */
const RESERVED: readonly WithdrawalState[] = ['policy_checked', 'approval_pending', 'approved', 'signing', 'signed'];

/** Returns the amount to Available and moves the withdrawal to `to`, inside the caller's transaction. */
export async function releaseReservation(
  tx: Queryable,
  w: Withdrawal,
  to: 'cancelled' | 'rejected' | 'failed',
  cause: string,
  o: { actor: string; detail?: Record<string, unknown> },
): Promise<Withdrawal> {
  const moved = await moveWithdrawal(tx, w.id, to, cause, o);
  if (RESERVED.includes(w.state) || (w.state === 'operator' && (await hasReservation(tx, w.id)))) {
    const account = customerAccount(w.customer, w.asset);
    await postEntryIn(tx, {
      kind: 'withdrawal.cancel',
      idempotencyKey: `${w.id}:release`,
      trace: { traceId: w.traceId },
      lines: [
        { account, state: 'reserved', amount: -w.amount },
        { account, state: 'available', amount: w.amount },
      ],
    });
  }
  if (w.from !== null) await releaseNonce(tx, { chainId: w.chainId, from: w.from }, w.id);
  return moved;
}

/** Whether the withdrawal's reservation is still held (reserved, not yet broadcast, released or settled). */
async function hasReservation(tx: Queryable, id: string): Promise<boolean> {
  const r = await tx.query<{ kind: string }>("SELECT kind FROM ledger_entries WHERE idempotency_key IN ($1, $2, $3) AND kind <> 'reversal'", [`${id}:reserve`, `${id}:broadcast`, `${id}:release`]);
  const kinds = new Set(r.rows.map((x) => x.kind));
  return kinds.has('withdrawal.request') && !kinds.has('withdrawal.broadcast') && !kinds.has('withdrawal.cancel');
}

/** Cancels a withdrawal that has not been broadcast; `illegal_transition` once it has. */
export async function cancelWithdrawal(db: Db, id: string, o: { actor: string; note?: string }): Promise<Withdrawal> {
  return db.transaction(async (tx) => {
    const w = await getWithdrawal(tx, id);
    if (w === null) throw new OrchestratorError('not_found', 'no such withdrawal', { withdrawalId: id });
    if (w.state === 'cancelled') return w;
    if (w.state === 'requested') return moveWithdrawal(tx, id, 'cancelled', 'cancel', { actor: o.actor, ...(o.note ? { detail: { note: o.note } } : {}) });
    return releaseReservation(tx, w, 'cancelled', w.state === 'operator' ? 'operator_cancel' : 'cancel', { actor: o.actor, ...(o.note ? { detail: { note: o.note } } : {}) });
  });
}
