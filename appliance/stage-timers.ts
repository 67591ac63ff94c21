// Where the appliance's event loop spends its time on the signing path, without a profiler: cheap
// monotonic timers (process.hrtime.bigint) accumulated per named stage since the process started.
// Stages nest (policy inside the reservation commit, the audit signature and the seal's MACs inside
// either commit): each stage counts only its own time, its children's go to them. Synchronous
// sections only, except `hsm_sign`, which is the token's latency as the event loop waits for it
// (`observe`). The `metrics` command answers the totals (appliance/commands/metrics.ts).

/** The stages of the signing path, in the order a signed transfer goes through them. */
export const STAGES = ['decode', 'policy', 'reservation_commit', 'hsm_sign', 'y_parity', 'audit_sign', 'seal', 'response_commit', 'commit_flush', 'anchor', 'encode'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageTotal {
  /** Times the stage ran. */
  count: number;
  /** Its own time in all of them, in microseconds (rounded). */
  micros: number;
}

export class StageTimers {
  private readonly ns = new Map<Stage, bigint>();
  private readonly counts = new Map<Stage, number>();
  /** Time the stages nested in the one running now have taken (subtracted from it when it ends). */
  private childNs = 0n;

  /** `now`: a monotonic clock in nanoseconds (process.hrtime.bigint; a test gives its own). */
  constructor(private readonly now: () => bigint = () => process.hrtime.bigint()) {}

  /** Runs the synchronous `fn` as `stage`; its time, less that of the stages nested in it, is the stage's. */
  time<T>(stage: Stage, fn: () => T): T {
    const outerChildren = this.childNs;
    this.childNs = 0n;
    const started = this.now();
    try {
      return fn();
    } finally {
      const total = this.now() - started;
      this.add(stage, total - this.childNs);
      this.childNs = outerChildren + total;
    }
  }

  /** Adds a duration measured elsewhere (an await: the token's signing latency), in nanoseconds. */
  observe(stage: Stage, ns: bigint): void {
    this.add(stage, ns);
  }

  private add(stage: Stage, ns: bigint): void {
    this.ns.set(stage, (this.ns.get(stage) ?? 0n) + ns);
    this.counts.set(stage, (this.counts.get(stage) ?? 0) + 1);
  }

  snapshot(): Record<string, StageTotal> {
    const out: Record<string, StageTotal> = {};
    for (const s of STAGES) {
      const count = this.counts.get(s) ?? 0;
      if (count > 0) out[s] = { count, micros: Math.round(Number(this.ns.get(s) ?? 0n) / 1000) };
    }
    return out;
  }
}
