// Cancelling a withdrawal. Before anything is on its way to the chain: the state moves to `cancelled`,
// what the ledger reserved goes back to Available (withdrawal.cancel), and a reserved nonce is released
// for the next withdrawal, all in one transaction. After a broadcast a cancel is a transaction of its
// own (0 to self at the same nonce, fees 10% higher): this module records who asked (once per
// withdrawal), and the worker makes, signs and sends it (cancel-step.ts). Whichever the chain includes
// wins: the cancel, final, moves the withdrawal to `cancelled` and its Pending back to Available; the
// transfer, included first, completes the withdrawal as usual.
import { customerAccount } from '../ledger/accounts.js';
import type { Db, Queryable } from '../ledger/db.js';
import { postEntryIn } from '../ledger/journal.js';
import { attemptsOf } from './attempt-store.js';
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

/** Whether the withdrawal's Reserved → Pending posting (its first send) was made. */
export async function broadcastPosted(tx: Queryable, id: string): Promise<boolean> {
  const r = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM ledger_entries WHERE idempotency_key = $1 AND kind = 'withdrawal.broadcast'", [`${id}:broadcast`]);
  return r.rows[0]!.n > 0;
}

export interface CancelRequest {
  actor: string;
  note: string | null;
  at: string;
}

/** Who asked to cancel a sent withdrawal, or null. */
export async function cancelRequestOf(db: Queryable, id: string): Promise<CancelRequest | null> {
  const r = await db.query<CancelRequest>(`SELECT actor, note, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at FROM orch_cancel_requests WHERE withdrawal_id = $1`, [id]);
  return r.rows[0] ?? null;
}

export interface Cancelled {
  withdrawal: Withdrawal;
  /** Set when the withdrawal was already sent: the cancel is a transaction the worker sends, and may lose to the transfer. */
  onChain: CancelRequest | null;
}

/** States from which nothing has been sent to a node yet (or a send is undone by releasing the nonce). */
const BEFORE_SEND: readonly WithdrawalState[] = ['requested', 'policy_checked', 'signing', 'approval_pending', 'approved', 'signed'];

/**
 * Cancels a withdrawal: before broadcast at once; once sent (broadcasted, or in the exception queue
 * after a send) by recording a cancel request the worker turns into 0 to self at the same nonce.
 * `illegal_transition` once an attempt is included (the transfer has happened) or the withdrawal ended.
 */
export async function cancelWithdrawal(db: Db, id: string, o: { actor: string; note?: string }): Promise<Cancelled> {
  return db.transaction(async (tx) => {
    const w = await getWithdrawal(tx, id);
    if (w === null) throw new OrchestratorError('not_found', 'no such withdrawal', { withdrawalId: id });
    const detail = o.note ? { detail: { note: o.note } } : {};
    if (w.state === 'cancelled') return { withdrawal: w, onChain: await cancelRequestOf(tx, id) };
    if (w.state === 'requested') return { withdrawal: await moveWithdrawal(tx, id, 'cancelled', 'cancel', { actor: o.actor, ...detail }), onChain: null };
    const sent = w.state === 'broadcasted' || (w.state === 'operator' && (await broadcastPosted(tx, id)));
    if (BEFORE_SEND.includes(w.state) || (w.state === 'operator' && !sent))
      return { withdrawal: await releaseReservation(tx, w, 'cancelled', w.state === 'operator' ? 'operator_cancel' : 'cancel', { actor: o.actor, ...detail }), onChain: null };
    if (!sent) throw new OrchestratorError('illegal_transition', `the withdrawal is ${w.state}; it can no longer be cancelled`, { withdrawalId: id, state: w.state });
    const landed = (await attemptsOf(tx, id)).find((a) => ['included', 'confirmed', 'finalized', 'reverted'].includes(a.state));
    if (landed !== undefined)
      throw new OrchestratorError('illegal_transition', `attempt ${landed.id} is already ${landed.state} on chain; a cancel can no longer take its nonce`, { withdrawalId: id, attemptId: landed.id });
    await tx.query('INSERT INTO orch_cancel_requests (withdrawal_id, actor, note) VALUES ($1, $2, $3) ON CONFLICT (withdrawal_id) DO NOTHING', [id, o.actor, o.note ?? null]);
    const moved = w.state === 'operator' ? await moveWithdrawal(tx, id, 'broadcasted', 'cancel_requested', { actor: o.actor, ...detail }) : w;
    return { withdrawal: moved, onChain: await cancelRequestOf(tx, id) };
  });
}
