// Where a signed transfer's CPU goes, from two readings taken around one load level: each process's
// CPU time (the appliance's from its `metrics` command, the bridge's from its Prometheus scrape, the
// load generator's from itself) and the appliance's time per stage of the signing path
// (appliance/stage-timers.ts), each divided by the transfers the level signed.
import type { MetricsResult } from '../protocol/commands/metrics.js';

/** What one reading holds: the appliance's answer and, when the level went through it, the bridge's CPU seconds. */
export interface CpuReading {
  appliance: Pick<MetricsResult, 'cpuMicros' | 'stages'>;
  bridgeCpuSeconds?: number;
}

export interface CpuPerTransfer {
  /** CPU of the appliance process (user + system) per signed transfer, in µs. */
  appliance_us: number;
  /** CPU of the bridge process per signed transfer, in µs (HTTP levels only). */
  bridge_us?: number;
  /** Own time of each appliance stage per signed transfer, in µs (hsm_sign is the token's latency, not CPU). */
  stages_us: Record<string, number>;
  /**
   * Times each stage ran per signed transfer: a stage run once per group commit (commit_flush, anchor)
   * shows the mean group's share (0.25: four transfers' changes per commit).
   */
  stage_runs: Record<string, number>;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** The bridge's CPU seconds (user + system) from its Prometheus text (prom-client's process_cpu_* counters). */
export function bridgeCpuSeconds(promText: string): number {
  let total = 0;
  let seen = 0;
  for (const line of promText.split('\n')) {
    const m = /^process_cpu_(user|system)_seconds_total\s+([0-9.eE+-]+)$/.exec(line.trim());
    if (m) {
      total += Number(m[2]);
      seen++;
    }
  }
  if (seen !== 2) throw new Error('the scrape has no process_cpu_user/system_seconds_total');
  return total;
}

/** CPU and stage time per transfer between two readings, over `transfers` signed transfers. */
export function perTransfer(before: CpuReading, after: CpuReading, transfers: number): CpuPerTransfer {
  const n = Math.max(1, transfers);
  const cpu = (r: CpuReading) => r.appliance.cpuMicros.user + r.appliance.cpuMicros.system;
  const stages_us: Record<string, number> = {};
  const stage_runs: Record<string, number> = {};
  for (const [stage, t] of Object.entries(after.appliance.stages)) {
    const spent = t.micros - (before.appliance.stages[stage]?.micros ?? 0);
    if (spent > 0) stages_us[stage] = round1(spent / n);
    const runs = t.count - (before.appliance.stages[stage]?.count ?? 0);
    if (runs > 0) stage_runs[stage] = round2(runs / n);
  }
  const out: CpuPerTransfer = { appliance_us: round1((cpu(after) - cpu(before)) / n), stages_us, stage_runs };
  if (before.bridgeCpuSeconds !== undefined && after.bridgeCpuSeconds !== undefined) out.bridge_us = round1(((after.bridgeCpuSeconds - before.bridgeCpuSeconds) * 1e6) / n);
  return out;
}
