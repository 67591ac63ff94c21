// The appliance's activity counters, kept in memory since the process started (a restart begins
// again from zero): decisions by outcome (signed by command, denied and pending by the rule that
// gave the reason), failed signatures, the HSM's signing latency and the size of each group commit.
// The `metrics` command (appliance/commands/metrics.ts) answers them with the persisted facts
// (audit head, sealed state); the bridge renders them for Prometheus (host-bridge/metrics.ts).
import type { HistogramSnapshot } from '../protocol/commands/metrics.js';

/** Upper bounds of the HSM signing latency buckets, in microseconds (0.5 ms to 2.5 s). */
export const SIGN_LATENCY_BOUNDS_MICROS = [500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000] as const;

/** Upper bounds of the group-commit size buckets (state changes in one transaction). */
export const GROUP_COMMIT_BOUNDS = [1, 2, 4, 8, 16, 32, 64, 128, 256] as const;

/** A fixed-bucket histogram of non-negative integers with cumulative counts. */
class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(v: number): void {
    this.bounds.forEach((le, i) => {
      if (v <= le) this.counts[i]!++;
    });
    this.sum += v;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: [...this.bounds], counts: [...this.counts], sum: this.sum, count: this.count };
  }
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

export class DeviceMetrics {
  private readonly signedBy = new Map<string, number>();
  private readonly deniedBy = new Map<string, number>();
  private readonly pendingBy = new Map<string, number>();
  private failed = 0;
  private readonly signLatency = new Histogram(SIGN_LATENCY_BOUNDS_MICROS);
  private readonly commitSize = new Histogram(GROUP_COMMIT_BOUNDS);

  /** A signature released (its audit entry and response committed), by the command that decided it. */
  signed(command: string): void {
    bump(this.signedBy, command);
  }

  /** A committed deny or pending decision: counted once under each distinct rule among its reasons. */
  decided(outcome: 'deny' | 'needs_approval', rules: readonly string[]): void {
    const into = outcome === 'deny' ? this.deniedBy : this.pendingBy;
    const distinct = new Set(rules);
    if (distinct.size === 0) distinct.add('none');
    for (const rule of distinct) bump(into, rule);
  }

  /** An allowed request whose signature failed (nothing was released). */
  signFailed(): void {
    this.failed++;
  }

  /** One signature made by the token, in microseconds. */
  hsmSign(micros: number): void {
    this.signLatency.observe(Math.max(0, Math.round(micros)));
  }

  /** One group commit of `size` state changes. */
  groupCommit(size: number): void {
    this.commitSize.observe(size);
  }

  snapshot() {
    return {
      signed: Object.fromEntries(this.signedBy),
      denied: Object.fromEntries(this.deniedBy),
      pending: Object.fromEntries(this.pendingBy),
      signFailed: this.failed,
      hsmSignMicros: this.signLatency.snapshot(),
      groupCommitSize: this.commitSize.snapshot(),
    };
  }
}
