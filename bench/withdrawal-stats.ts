// The withdrawal benchmark's arithmetic, from the orchestrator's transition log (one row per state a
// withdrawal entered, with the database's time, so every duration is read off one clock) and from the
// worker rounds' step timings: when each withdrawal reached W0, W1, W3, W4, W5 and W6, withdrawals per
// second from W0 to W5, p50/p99 of the stage durations, and each step's own duration by the state it
// started from. W3 (approved) is reached only by a withdrawal that waited for approvers; for one that
// needed none, W3 is taken as the moment it was signed (W5), the first of the two.
import { percentile } from './stats.js';

/** One row of orch_withdrawal_transitions: the state entered and when, in milliseconds since the epoch. */
export interface TransitionPoint {
  withdrawalId: string;
  to: string;
  atMs: number;
}

/** When a withdrawal first entered each milestone state (undefined when it never did). */
export interface Milestones {
  requested?: number;
  policyChecked?: number;
  /** W3: approved, or signed when no approval was needed (whichever came first). */
  approved?: number;
  signing?: number;
  signed?: number;
  broadcasted?: number;
}

const FIELD: Record<string, keyof Milestones> = {
  requested: 'requested',
  policy_checked: 'policyChecked',
  signing: 'signing',
  signed: 'signed',
  broadcasted: 'broadcasted',
};

/** The milestones of each withdrawal, from its log rows (any order); the first entry into a state counts. */
export function milestonesOf(rows: readonly TransitionPoint[]): Map<string, Milestones> {
  const out = new Map<string, Milestones>();
  for (const r of rows) {
    const m = out.get(r.withdrawalId) ?? {};
    out.set(r.withdrawalId, m);
    const first = (k: keyof Milestones) => {
      if (m[k] === undefined || r.atMs < m[k]!) m[k] = r.atMs;
    };
    if (r.to === 'approved' || r.to === 'signed') first('approved');
    const f = FIELD[r.to];
    if (f !== undefined) first(f);
  }
  return out;
}

export interface Spread {
  n: number;
  p50_ms: number;
  p99_ms: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** p50 and p99 of a list of durations in milliseconds. */
export function spread(ms: readonly number[]): Spread {
  const sorted = [...ms].sort((a, b) => a - b);
  return { n: sorted.length, p50_ms: round3(percentile(sorted, 50)), p99_ms: round3(percentile(sorted, 99)) };
}

/** Durations from milestone `a` to milestone `b`, over the withdrawals that reached both. */
export function durations(ms: Iterable<Milestones>, a: keyof Milestones, b: keyof Milestones): number[] {
  const out: number[] = [];
  for (const m of ms) if (m[a] !== undefined && m[b] !== undefined) out.push(m[b]! - m[a]!);
  return out;
}

/**
 * Withdrawals per second from request to signature: the number that reached W5, over the time from the
 * first W0 to the last W5 among them (0 when none was signed or no time passed).
 */
export function signedPerSecond(ms: Iterable<Milestones>): number {
  let first = Infinity;
  let last = -Infinity;
  let n = 0;
  for (const m of ms) {
    if (m.requested === undefined || m.signed === undefined) continue;
    n++;
    first = Math.min(first, m.requested);
    last = Math.max(last, m.signed);
  }
  if (n === 0 || last <= first) return 0;
  return Math.round((n / ((last - first) / 1000)) * 10) / 10;
}

export interface StagesSummary {
  /** Request to W3 (approved, or signed when no approval was needed). */
  w0_w3: Spread;
  /** W3 to broadcast. */
  w3_w6: Spread;
  /** Request to policy-checked (the wait for a worker, then the checks' transaction starting). */
  w0_w1: Spread;
  /** Signing requested to signed: the bridge and appliance round trip as the log saw it. */
  w4_w5: Spread;
}

export function stagesOf(ms: Map<string, Milestones>): StagesSummary {
  const all = [...ms.values()];
  return {
    w0_w3: spread(durations(all, 'requested', 'approved')),
    w3_w6: spread(durations(all, 'approved', 'broadcasted')),
    w0_w1: spread(durations(all, 'requested', 'policyChecked')),
    w4_w5: spread(durations(all, 'signing', 'signed')),
  };
}

/** One worker step's duration, by the state the withdrawal was in when the step began. */
export interface StepSample {
  from: string;
  ms: number;
}

/** p50/p99 of the steps that started from each state. */
export function stepSpreads(samples: readonly StepSample[]): Record<string, Spread> {
  const by = new Map<string, number[]>();
  for (const s of samples) {
    const list = by.get(s.from) ?? [];
    list.push(s.ms);
    by.set(s.from, list);
  }
  return Object.fromEntries([...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, spread(v)]));
}
