// The operator's exception queue: withdrawals in `operator`, each with the exception that put it there,
// and the three decisions an operator makes, each logged with who made it and why: retry (the worker
// takes it again from where it stopped: tracking a broadcast attempt, or asking the appliance again),
// fail (give up before anything is on chain, or after the chain refused it: the reservation or the
// Pending amount goes back to Available), and accept (take the chain's outcome as included: the
// worker then waits for finality and posts it).
import { customerAccount } from '../ledger/accounts.js';
import type { Db, Queryable } from '../ledger/db.js';
import { postEntryIn } from '../ledger/journal.js';
import { attemptsOf, moveAttempt } from './attempt-store.js';
import { broadcastPosted, releaseReservation } from './cancel.js';
import { OrchestratorError } from './errors.js';
import { getWithdrawal, listWithdrawals, moveWithdrawal, withdrawalHistory, type Withdrawal } from './withdrawal-store.js';

export const OPERATOR_ACTIONS = ['retry', 'fail', 'accept'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

export interface QueueItem {
  withdrawal: Withdrawal;
  /** The detail of the move into `operator`: the exception, the attempt, the reason. */
  reason: unknown;
}

/** The exception queue: withdrawals in `operator`, oldest first, with why each is there. */
export async function exceptionQueue(db: Queryable, o: { after?: string; limit?: number } = {}): Promise<QueueItem[]> {
  const page = await listWithdrawals(db, { state: 'operator', ...(o.after ? { after: o.after } : {}), limit: o.limit ?? 100 });
  const out: QueueItem[] = [];
  for (const w of page) {
    const into = (await withdrawalHistory(db, w.id)).filter((h) => h.to === 'operator').at(-1);
    out.push({ withdrawal: w, reason: into?.detail ?? null });
  }
  return out;
}

/** Applies an operator's decision to a withdrawal in the queue. */
export async function resolveWithdrawal(db: Db, id: string, action: OperatorAction, o: { actor: string; note: string }): Promise<Withdrawal> {
  if (!(OPERATOR_ACTIONS as readonly string[]).includes(action)) throw new OrchestratorError('bad_request', `action is one of ${OPERATOR_ACTIONS.join(', ')}`, { field: 'action' });
  if (typeof o.note !== 'string' || o.note.trim() === '' || o.note.length > 500) throw new OrchestratorError('bad_request', 'a note (1-500 characters) says why', { field: 'note' });
  return db.transaction(async (tx) => {
    const w = await getWithdrawal(tx, id);
    if (w === null) throw new OrchestratorError('not_found', 'no such withdrawal', { withdrawalId: id });
    if (w.state !== 'operator') throw new OrchestratorError('illegal_transition', `the withdrawal is ${w.state}, not in the exception queue`, { withdrawalId: id, state: w.state });
    const detail = { action, note: o.note };
    const attempts = await attemptsOf(tx, id);
    const sent = await broadcastPosted(tx, id);
    if (action === 'retry') {
      await tx.query('UPDATE orch_withdrawals SET automatic_actions = 0, inconsistent_rounds = 0 WHERE id = $1', [id]);
      return moveWithdrawal(tx, id, sent ? 'broadcasted' : 'signing', 'operator_retry', { actor: o.actor, detail });
    }
    if (action === 'accept') {
      const a = attempts.find((x) => x.state === 'rpc_inconsistent' || x.state === 'reverted' || x.state === 'included');
      if (a === undefined || a.state === 'reverted') throw new OrchestratorError('illegal_transition', 'there is no attempt whose inclusion can be accepted', { withdrawalId: id });
      if (a.state === 'rpc_inconsistent') await moveAttempt(tx, a.id, 'included', 'operator_accept', { actor: o.actor, detail });
      return moveWithdrawal(tx, id, 'included', 'operator_accept', { actor: o.actor, detail });
    }
    // fail
    if (!sent) return releaseReservation(tx, w, 'failed', 'operator_fail', { actor: o.actor, detail });
    const account = customerAccount(w.customer, w.asset);
    await postEntryIn(tx, {
      kind: 'withdrawal.failure',
      idempotencyKey: `${id}:failure`,
      trace: { traceId: w.traceId },
      lines: [
        { account, state: 'pending', amount: -w.amount },
        { account, state: 'available', amount: w.amount },
      ],
    });
    return moveWithdrawal(tx, id, 'failed', 'operator_fail', { actor: o.actor, detail });
  });
}
