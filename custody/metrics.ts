// Prometheus metrics of the custody service (prom-client, one Registry per app, never the global
// one): this process's metrics, the HTTP requests it served with their durations in seconds, and at
// each scrape the periodic jobs' counters (custody/jobs.ts) and what the modules count in the
// database (e.g. withdrawals by state), rendered beside them. Served at GET /metrics (routes/system.ts).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { processMetricsRegistry } from '../host-bridge/process-metrics.js';
import type { JobStatus } from './jobs.js';

/** Request duration buckets, in seconds. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A gauge a module reads from the database at each scrape: one value per label value. */
export interface ModuleGauge {
  /** A metric name starting `custody_`. */
  name: string;
  help: string;
  label: string;
  values: Record<string, number>;
}

const SINCE_START = 'since the service started';

/** The jobs' counters and the modules' gauges at this scrape, in a registry of their own. */
function scrapeRegistry(jobs: JobStatus[], gauges: ModuleGauge[]): Registry {
  const reg = new Registry();
  const labelNames = ['job'];
  const runs = new Counter({ name: 'custody_job_runs_total', help: `Finished runs of each periodic job, ${SINCE_START}.`, labelNames, registers: [reg] });
  const failures = new Counter({ name: 'custody_job_failures_total', help: `Runs of each periodic job that failed, ${SINCE_START} (the last error is on /healthz).`, labelNames, registers: [reg] });
  const running = new Gauge({ name: 'custody_job_running', help: 'Whether a run of the job is in flight (1) or not (0).', labelNames, registers: [reg] });
  const ended = new Gauge({ name: 'custody_job_last_end_time_seconds', help: "When the job's last run ended (unix seconds; absent before its first run).", labelNames, registers: [reg] });
  for (const j of jobs) {
    runs.inc({ job: j.name }, j.runs);
    failures.inc({ job: j.name }, j.failures);
    running.set({ job: j.name }, j.running ? 1 : 0);
    if (j.lastEndedAt !== null) ended.set({ job: j.name }, j.lastEndedAt / 1000);
  }
  for (const g of gauges) {
    const gauge = new Gauge({ name: g.name, help: g.help, labelNames: [g.label], registers: [reg] });
    for (const [value, n] of Object.entries(g.values)) gauge.set({ [g.label]: value }, n);
  }
  return reg;
}

export class CustodyMetrics {
  private readonly registry = processMetricsRegistry();
  private readonly requests = new Counter({ name: 'custody_http_requests_total', help: 'HTTP requests served, by route and status.', labelNames: ['route', 'status'], registers: [this.registry] });
  private readonly durations = new Histogram({
    name: 'custody_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route and status.',
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

  async render(jobs: JobStatus[], gauges: ModuleGauge[]): Promise<string> {
    return Registry.merge([this.registry, scrapeRegistry(jobs, gauges)]).metrics();
  }
}
