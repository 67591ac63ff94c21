// A prom-client Registry of its own (never the global one) holding this process's metrics: CPU,
// memory, event loop lag, GC, handles (collectDefaultMetrics). prom-client 15 also names three gauges
// nodejs_active_{handles,requests,resources}_total; promtool refuses a gauge ending in _total, so they
// are left out (each is the sum over the `type` label of the gauge of the same name without _total).
// The bridge and the custody service each start from one.
// The event loop lag histogram (nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds) is
// sampled every 100 ms rather than prom-client's 10 ms: a timer firing 100 times a second cost an idle
// bridge 9 ms of CPU per second on the shared 2-core machine (its share of the CPU per transfer at
// concurrency 1), on the cores the appliance signs with (issue 17).
import { collectDefaultMetrics, Registry } from 'prom-client';

const MISNAMED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Milliseconds between two samples of the event loop's delay. */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function processMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  for (const name of MISNAMED) registry.removeSingleMetric(name);
  return registry;
}
