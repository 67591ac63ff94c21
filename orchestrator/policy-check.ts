// Step W0 → W1: the orchestrator's own checks (checks.ts) and the ledger's reservation of the amount
// (Available → Reserved), in one database transaction with the state change, so a withdrawal is
// policy-checked exactly when its funds are reserved. The customer's rows are serialised by an
// advisory lock on the customer, so two withdrawals checked at once by two workers cannot both pass a
// 24-hour limit or both spend one Available balance. A refusal moves it to `rejected` with its reasons.
import { customerAccount, openAccount } from '../ledger/accounts.js';
import type { Db, Queryable } from '../ledger/db.js';
import { postEntryIn } from '../ledger/journal.js';
import { judge, type CheckConfig, type CheckReason } from './checks.js';
import { getWithdrawal, moveWithdrawal, travelRuleOf, type Withdrawal } from './withdrawal-store.js';

const DAY_MS = 24 * 3600 * 1000;

/** What the customer asked of this asset in the 24 hours before `at`, not counting refused or cancelled ones. */
async function withdrawnInWindow(tx: Queryable, w: Withdrawal, at: Date): Promise<bigint> {
  const r = await tx.query<{ total: string }>(
    `SELECT coalesce(sum(amount), 0)::text AS total FROM orch_withdrawals
      WHERE customer = $1 AND asset = $2 AND id <> $3 AND requested_at > $4 AND requested_at <= $5
        AND state NOT IN ('requested', 'rejected', 'cancelled', 'failed')`,
    [w.customer, w.asset, w.id, new Date(at.getTime() - DAY_MS).toISOString(), at.toISOString()],
  );
  return BigInt(r.rows[0]!.total);
}

export interface CheckOutcome {
  withdrawal: Withdrawal;
  reasons: CheckReason[];
}

/** Runs W1 on a `requested` withdrawal; on any other state it returns it unchanged (the step is idempotent). */
export async function runPolicyCheck(db: Db, id: string, cfg: CheckConfig, o: { actor: string }): Promise<CheckOutcome> {
  return db.transaction(async (tx) => {
    const w = await getWithdrawal(tx, id);
    if (w === null || w.state !== 'requested') return { withdrawal: w!, reasons: [] };
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`customer:${w.customer}`]);
    const again = (await getWithdrawal(tx, id))!;
    if (again.state !== 'requested') return { withdrawal: again, reasons: [] };

    const at = new Date(w.requestedAt);
    const verdict = judge({ asset: w.asset, to: w.to, amount: w.amount, withdrawnInWindow: await withdrawnInWindow(tx, w, at), travelRule: await travelRuleOf(tx, id) }, cfg);
    if (!verdict.ok) {
      const rejected = await moveWithdrawal(tx, id, 'rejected', 'checks_failed', { actor: o.actor, detail: { reasons: verdict.reasons } });
      return { withdrawal: rejected, reasons: verdict.reasons };
    }

    // The balance row is locked before it is read, so the reservation below cannot fail on a race.
    const account = customerAccount(w.customer, w.asset);
    const accountId = await openAccount(tx, account);
    const bal = await tx.query<{ amount: string }>("SELECT amount::text AS amount FROM ledger_balances WHERE account_id = $1 AND state = 'available' FOR UPDATE", [accountId]);
    const available = BigInt(bal.rows[0]?.amount ?? '0');
    if (available < w.amount) {
      const reasons: CheckReason[] = [{ code: 'insufficient_funds', message: `Available is ${available}, the withdrawal needs ${w.amount}` }];
      const rejected = await moveWithdrawal(tx, id, 'rejected', 'checks_failed', { actor: o.actor, detail: { reasons } });
      return { withdrawal: rejected, reasons };
    }
    const posted = await postEntryIn(tx, {
      kind: 'withdrawal.request',
      idempotencyKey: `${id}:reserve`,
      trace: { traceId: w.traceId },
      lines: [
        { account, state: 'available', amount: -w.amount },
        { account, state: 'reserved', amount: w.amount },
      ],
    });
    const checked = await moveWithdrawal(tx, id, 'policy_checked', 'checks_passed', {
      actor: o.actor,
      detail: { ledgerEntry: posted.entry.id, travelRuleHash: verdict.travelRuleHash },
    });
    return { withdrawal: checked, reasons: [] };
  });
}
