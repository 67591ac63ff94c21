// metrics: the appliance's activity counters since it started (in memory) and the persisted facts
// a monitor watches (audit head, sealed state, active policy). The bridge renders them at /metrics.
import { onlyKeys } from '../args.js';
import { defineCommand } from './command.js';

export type MetricsArgs = Record<string, never>;

/** A histogram with cumulative counts: `counts[i]` observations were at most `bounds[i]`; `count` is all of them. */
export type HistogramSnapshot = {
  bounds: number[];
  counts: number[];
  sum: number;
  count: number;
};

export type MetricsResult = {
  deviceId: string;
  /** Signatures released, by the command that decided them (sign.evm-tx, sign.typed-data, request.approve). */
  signed: Record<string, number>;
  /** Denied decisions by rule; a decision denied by two rules counts under both. */
  denied: Record<string, number>;
  /** Decisions waiting for approvals, by the rule that asked for them. */
  pending: Record<string, number>;
  /** Allowed requests whose signature failed (nothing released). */
  signFailed: number;
  /** The token's signing time per signature, in microseconds. */
  hsmSignMicros: HistogramSnapshot;
  /** State changes per group commit (one transaction, one fsync). */
  groupCommitSize: HistogramSnapshot;
  /** Sequence number of the last audit entry (persisted). */
  auditHeadSeq: number;
  /** The sealed state is intact and the clock not set back: the device accepts state changes. */
  sealedOk: boolean;
  /** How many tamper findings the device holds (0 when sealedOk). */
  sealedFindings: number;
  policyVersion: number | null;
  /** CPU time of the appliance process since it started (process.cpuUsage), in microseconds. */
  cpuMicros: { user: number; system: number };
  /**
   * Time per stage of the signing path since the process started (appliance/stage-timers.ts): how many
   * times each ran and its own time in microseconds (nested stages counted apart). Absent stages never ran.
   */
  stages: Record<string, { count: number; micros: number }>;
};

export const metrics = defineCommand<MetricsArgs, MetricsResult>()({
  name: 'metrics',
  summary: 'Activity counters since the appliance started, audit head, sealed state and policy version.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', []);
    return {};
  },
});
