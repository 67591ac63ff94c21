// Prometheus metrics of the bridge (prom-client, one Registry per app, never the global one): this
// process's own metrics (CPU, memory, event loop, GC), the HTTP requests it served with their
// durations in seconds, and, at each scrape, the appliance's metrics from its `metrics` command
// (protocol/commands/metrics.ts) rendered beside them. The appliance's counters are in its memory
// since it started; the audit head, sealed state and policy version are read from its state.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HistogramSnapshot, MetricsResult } from '../protocol/commands/metrics.js';
import { processMetricsRegistry } from './process-metrics.js';

/** Request duration buckets, in seconds. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const SINCE_START = 'since the appliance process started (kept in its memory: a restart begins from zero)';

/**
 * A histogram the appliance counted: its buckets come from a snapshot rather than from observations
 * made here. `per` divides the appliance's unit into the exported one (1e6: microseconds to seconds).
 */
class SnapshotHistogram extends Histogram {
  /** An unregistered histogram of the same name: the header fields of what `get` answers. */
  private readonly twin: Histogram;

  constructor(
    name: string,
    help: string,
    registry: Registry,
    private readonly snap: HistogramSnapshot,
    private readonly per = 1,
  ) {
    const buckets = snap.bounds.map((b) => b / per);
    super({ name, help, registers: [registry], buckets });
    this.twin = new Histogram({ name, help, registers: [], buckets });
  }

  override async get() {
    const base = await this.twin.get();
    const bucket = `${base.name}_bucket`;
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = this.snap.bounds.map((b, i) => ({
      metricName: bucket,
      labels: { le: b / this.per },
      value: this.snap.counts[i] ?? 0,
    }));
    values.push(
      { metricName: bucket, labels: { le: '+Inf' }, value: this.snap.count },
      { metricName: `${base.name}_sum`, labels: {}, value: this.snap.sum / this.per },
      { metricName: `${base.name}_count`, labels: {}, value: this.snap.count },
    );
    return { ...base, values };
  }

  /** The registry renders text from this method when a metric has it (prom-client 15's Histogram does): the same values. */
  async getForPromString() {
    return this.get();
  }
}

function labelledCounter(registry: Registry, name: string, help: string, label: string, counts: Record<string, number>): void {
  const counter = new Counter({ name, help, labelNames: [label], registers: [registry] });
  for (const [value, n] of Object.entries(counts)) counter.inc({ [label]: value }, n);
}

function gauge(registry: Registry, name: string, help: string, value: number): void {
  new Gauge({ name, help, registers: [registry] }).set(value);
}

/** The appliance's metrics from one `metrics` answer (undefined: it did not answer), in a registry of their own. */
function applianceRegistry(snap: MetricsResult | undefined): Registry {
  const reg = new Registry();
  gauge(reg, 'hsm_appliance_up', 'Whether the appliance answered the metrics command during this scrape (1) or not (0).', snap ? 1 : 0);
  if (!snap) return reg;
  new Gauge({ name: 'hsm_appliance_info', help: 'The appliance this bridge reaches (always 1), by device id.', labelNames: ['device'], registers: [reg] }).set({ device: snap.deviceId }, 1);
  labelledCounter(reg, 'hsm_appliance_signed_total', `Signatures released, by the command that decided them, ${SINCE_START}.`, 'command', snap.signed);
  labelledCounter(reg, 'hsm_appliance_denied_total', `Denied signing decisions by policy rule (a denial naming two rules counts under both), ${SINCE_START}.`, 'rule', snap.denied);
  labelledCounter(reg, 'hsm_appliance_pending_total', `Signing decisions left waiting for approvals, by the rule that asked for them, ${SINCE_START}.`, 'rule', snap.pending);
  new Counter({ name: 'hsm_appliance_sign_failed_total', help: `Allowed requests whose signature failed (nothing released), ${SINCE_START}.`, registers: [reg] }).inc(snap.signFailed);
  new SnapshotHistogram('hsm_appliance_hsm_sign_duration_seconds', `Time the token took to make one signature, ${SINCE_START}.`, reg, snap.hsmSignMicros, 1e6);
  new SnapshotHistogram('hsm_appliance_group_commit_size', `State changes committed in one transaction (one fsync), ${SINCE_START}.`, reg, snap.groupCommitSize);
  gauge(reg, 'hsm_appliance_audit_head_seq', 'Sequence number of the last entry of the audit log (persisted state).', snap.auditHeadSeq);
  gauge(reg, 'hsm_appliance_sealed_ok', 'Whether the sealed state is intact and the clock not set back (1); 0: the device refuses to sign or change state.', snap.sealedOk ? 1 : 0);
  gauge(reg, 'hsm_appliance_tamper_findings', 'Tamper findings the device holds (0 while the sealed state is intact).', snap.sealedFindings);
  gauge(reg, 'hsm_appliance_policy_version', 'Version of the active policy (-1: none installed).', snap.policyVersion ?? -1);
  const cpu = new Counter({
    name: 'hsm_appliance_process_cpu_seconds_total',
    help: `CPU time of the appliance process by mode (user, system), ${SINCE_START}.`,
    labelNames: ['mode'],
    registers: [reg],
  });
  cpu.inc({ mode: 'user' }, snap.cpuMicros.user / 1e6);
  cpu.inc({ mode: 'system' }, snap.cpuMicros.system / 1e6);
  const stageTime = new Counter({
    name: 'hsm_appliance_stage_seconds_total',
    help: `Own time of each stage of the signing path (nested stages counted apart), ${SINCE_START}.`,
    labelNames: ['stage'],
    registers: [reg],
  });
  const stageRuns = new Counter({ name: 'hsm_appliance_stage_runs_total', help: `Times each stage of the signing path ran, ${SINCE_START}.`, labelNames: ['stage'], registers: [reg] });
  for (const [stage, t] of Object.entries(snap.stages)) {
    stageTime.inc({ stage }, t.micros / 1e6);
    stageRuns.inc({ stage }, t.count);
  }
  return reg;
}

export class Metrics {
  private readonly registry = processMetricsRegistry();
  private readonly requests = new Counter({ name: 'hsm_bridge_requests_total', help: 'HTTP requests served, by route and status.', labelNames: ['route', 'status'], registers: [this.registry] });
  private readonly durations = new Histogram({
    name: 'hsm_bridge_request_duration_seconds',
    help: 'Time to answer an HTTP request (including the appliance round trip), by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  /** The exposition's content type (text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status });
    this.durations.observe({ method, route, status }, seconds);
  }

  /** The bridge's metrics and the appliance's from its answer (undefined when it did not answer). */
  async render(appliance: MetricsResult | undefined): Promise<string> {
    return Registry.merge([this.registry, applianceRegistry(appliance)]).metrics();
  }
}
