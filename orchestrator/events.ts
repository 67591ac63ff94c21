// The event stream of withdrawals: every transition of a withdrawal or of one of its attempts, in the
// order it was committed, read from the two append-only transition logs. A consumer keeps the last
// cursor it saw and asks for what came after it.
import type { Queryable } from '../ledger/db.js';
import type { TransitionRecord } from './withdrawal-store.js';

/** A transition of either log (withdrawal-store.ts TransitionRecord), named by its log and its withdrawal. */
export interface TransitionEvent extends Omit<TransitionRecord, 'seq'> {
  /** `w:<seq>` for a withdrawal transition, `a:<seq>` for an attempt's; cursors compare within a log. */
  id: string;
  withdrawalId: string;
  attemptId: string | null;
}

export interface EventCursor {
  withdrawal: number;
  attempt: number;
}

/**
 * Transitions after the cursor: at most `limit` from each log in its own order (so a cursor never
 * skips a row), merged by time, with the next cursor.
 */
export async function transitionEvents(db: Queryable, after: EventCursor, limit: number): Promise<{ events: TransitionEvent[]; next: EventCursor }> {
  const r = await db.query<{
    log: 'w' | 'a';
    seq: string;
    withdrawal_id: string;
    attempt_id: string | null;
    from_state: string | null;
    to_state: string;
    cause: string;
    actor: string;
    trace_id: string;
    detail: unknown;
    at: string;
  }>(
    `SELECT * FROM (
       (SELECT 'w' AS log, seq, withdrawal_id, NULL::text AS attempt_id, from_state, to_state, cause, actor, trace_id, detail, at
          FROM orch_withdrawal_transitions WHERE seq > $1 ORDER BY seq LIMIT $3)
       UNION ALL
       (SELECT 'a' AS log, t.seq, a.withdrawal_id, t.attempt_id, t.from_state, t.to_state, t.cause, t.actor, t.trace_id, t.detail, t.at
          FROM orch_attempt_transitions t JOIN orch_attempts a ON a.id = t.attempt_id WHERE t.seq > $2 ORDER BY t.seq LIMIT $3)
     ) e ORDER BY at, log DESC, seq`,
    [after.withdrawal, after.attempt, limit],
  );
  const next = { ...after };
  const events = r.rows.map((x) => {
    if (x.log === 'w') next.withdrawal = Math.max(next.withdrawal, Number(x.seq));
    else next.attempt = Math.max(next.attempt, Number(x.seq));
    return {
      id: `${x.log}:${x.seq}`,
      withdrawalId: x.withdrawal_id,
      attemptId: x.attempt_id,
      from: x.from_state,
      to: x.to_state,
      cause: x.cause,
      actor: x.actor,
      traceId: x.trace_id,
      detail: x.detail,
      at: new Date(x.at).toISOString(),
    };
  });
  return { events, next };
}
