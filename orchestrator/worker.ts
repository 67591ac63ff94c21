// The orchestrator's worker: claims withdrawals that can move (a lease in the database, so two worker
// processes on one PostgreSQL server never work on the same withdrawal at once, and a worker killed
// mid-step leaves its claim to expire) and advances each by one step from its current state. Every
// step is safe to repeat: the state tables refuse a move made twice, ledger postings are idempotent by
// key, and the appliance answers a repeated signing request with its stored answer.
import { performance } from 'node:perf_hooks';
import type { Db } from '../ledger/db.js';
import { attemptsOf } from './attempt-store.js';
import { finalizeOnce, sendAttempt, trackOnce } from './chain-steps.js';
import { runPolicyCheck } from './policy-check.js';
import type { Runtime } from './runtime.js';
import { askToSign, prepareFirstAttempt } from './sign-step.js';
import type { WithdrawalState } from './states.js';
import { getWithdrawal } from './withdrawal-store.js';

/** States a worker moves on its own; the others wait (the operator queue) or are finished. */
export const ACTIONABLE = ['requested', 'policy_checked', 'signing', 'approval_pending', 'approved', 'signed', 'broadcasted', 'included'] as const;

/** Claims up to `limit` actionable withdrawals for `worker` for `leaseMs`, the least recently claimed first; returns their ids. */
export async function claimWork(db: Db, worker: string, now: Date, leaseMs: number, limit: number): Promise<string[]> {
  const r = await db.query<{ id: string }>(
    `UPDATE orch_withdrawals SET lease_owner = $1, lease_until = $2
      WHERE id IN (SELECT id FROM orch_withdrawals
                    WHERE state = ANY($3::text[]) AND (lease_owner IS NULL OR lease_until < $4 OR lease_owner = $1)
                    ORDER BY lease_until NULLS FIRST, updated_at LIMIT $5 FOR UPDATE SKIP LOCKED)
      RETURNING id`,
    [worker, new Date(now.getTime() + leaseMs).toISOString(), [...ACTIONABLE], now.toISOString(), limit],
  );
  return r.rows.map((x) => x.id);
}

/**
 * Gives the claim up. lease_until stays as it was: with no owner it only orders the next claims (never
 * claimed first, then the longest since its last claim), so withdrawals that cannot move yet do not
 * take every round's places from the others.
 */
export async function releaseClaim(db: Db, id: string, worker: string): Promise<void> {
  await db.query('UPDATE orch_withdrawals SET lease_owner = NULL WHERE id = $1 AND lease_owner = $2', [id, worker]);
}

/** One step of one withdrawal, from the state it is in now; returns that state (null when there is no such withdrawal). */
export async function advance(rt: Runtime, id: string): Promise<WithdrawalState | null> {
  const w = await getWithdrawal(rt.db, id);
  if (w === null) return null;
  switch (w.state) {
    case 'requested':
      await runPolicyCheck(rt.db, id, rt.checks, { actor: rt.actor });
      break;
    case 'policy_checked': {
      const a = await prepareFirstAttempt(rt, w);
      if (a !== null) await askToSign(rt, (await getWithdrawal(rt.db, id))!, a);
      break;
    }
    case 'signing':
    case 'approval_pending':
    case 'approved': {
      const attempts = await attemptsOf(rt.db, id);
      // Back from the operator queue before any attempt was made (fees were above the cap): make it now.
      const a = attempts.length === 0 && w.state === 'signing' ? await prepareFirstAttempt(rt, w) : attempts.find((x) => x.state === 'created');
      if (a !== undefined && a !== null) await askToSign(rt, w, a);
      break;
    }
    case 'signed': {
      const a = (await attemptsOf(rt.db, id)).find((x) => x.state === 'signed' || x.state === 'failed');
      if (a !== undefined) await sendAttempt(rt, w, a);
      break;
    }
    case 'broadcasted':
      await trackOnce(rt, w);
      break;
    case 'included':
      await finalizeOnce(rt, w);
      break;
    default:
      break;
  }
  return w.state;
}

/** One step as a round saw it: the state it started from and how long it took (a benchmark reads these). */
export interface StepTiming {
  id: string;
  from: WithdrawalState;
  ms: number;
}

export interface RoundResult {
  advanced: number;
  errors: { id: string; message: string }[];
}

/**
 * One round of a worker: claim, advance each once, release. An error in one withdrawal does not stop
 * the others. `onStep`, when given, hears each step that completed, with its duration.
 */
export async function workRound(rt: Runtime, o: { worker: string; now: Date; leaseMs?: number; limit?: number; onStep?: (s: StepTiming) => void }): Promise<RoundResult> {
  const ids = await claimWork(rt.db, o.worker, o.now, o.leaseMs ?? 60_000, o.limit ?? 50);
  const out: RoundResult = { advanced: 0, errors: [] };
  for (const id of ids) {
    try {
      const started = performance.now();
      const from = await advance(rt, id);
      if (from !== null && o.onStep !== undefined) o.onStep({ id, from, ms: performance.now() - started });
      out.advanced++;
    } catch (err) {
      out.errors.push({ id, message: err instanceof Error ? err.message : String(err) });
    } finally {
      await releaseClaim(rt.db, id, o.worker);
    }
  }
  return out;
}
