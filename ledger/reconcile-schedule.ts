// Reconciliation on a schedule: a run every N seconds, the next one timed from the end of the last so
// two runs never overlap. The timer is injected (tests fire it by hand instead of waiting); a failed
// run is reported to `onError` and the schedule carries on.
import type { PublicClient } from 'viem';
import type { ChainConfig } from './chain.js';
import type { Db } from './db.js';
import { reconcile } from './reconcile.js';
import type { Reconciliation } from './reconcile-types.js';

export interface Timer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimer: Timer = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface ScheduleOptions {
  everySeconds: number;
  run: () => Promise<Reconciliation>;
  timer?: Timer;
  onResult?: (r: Reconciliation) => void;
  onError?: (err: unknown) => void;
}

export class ReconcileSchedule {
  private readonly opts: ScheduleOptions;
  private readonly timer: Timer;
  private handle: unknown = null;
  private current: Promise<void> | null = null;
  private running = false;
  /** Completed runs (successful or not). */
  runs = 0;
  last: Reconciliation | null = null;
  lastError: unknown = null;

  constructor(opts: ScheduleOptions) {
    if (!(opts.everySeconds > 0) || !Number.isFinite(opts.everySeconds)) throw new RangeError('everySeconds must be a positive number');
    this.opts = opts;
    this.timer = opts.timer ?? systemTimer;
  }

  /** Starts the schedule: the first run after `everySeconds` (or at once with `now`). */
  start(now = false): void {
    if (this.running) return;
    this.running = true;
    if (now) this.fire();
    else this.arm();
  }

  /** Stops the schedule and waits for a run in progress to end. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.handle !== null) this.timer.clear(this.handle);
    this.handle = null;
    await this.current;
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    await this.current;
  }

  private arm(): void {
    this.handle = this.timer.set(() => this.fire(), this.opts.everySeconds * 1000);
  }

  private fire(): void {
    this.handle = null;
    this.current = (async () => {
      try {
        const r = await this.opts.run();
        this.last = r;
        this.opts.onResult?.(r);
      } catch (err) {
        this.lastError = err;
        this.opts.onError?.(err);
      } finally {
        this.runs++;
        this.current = null;
        if (this.running) this.arm();
      }
    })();
  }
}

/** The usual schedule: `reconcile(db, client, chain)` at the final block every `everySeconds`. */
export function scheduleReconcile(db: Db, client: PublicClient, chain: ChainConfig, everySeconds: number, more: Omit<ScheduleOptions, 'everySeconds' | 'run'> = {}): ReconcileSchedule {
  return new ReconcileSchedule({ ...more, everySeconds, run: () => reconcile(db, client, chain) });
}
