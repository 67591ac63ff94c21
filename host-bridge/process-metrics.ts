// A prom-client Registry of its own (never the global one) holding this process's metrics: CPU,
// memory, event loop lag, GC, handles (collectDefaultMetrics). prom-client 15 also names three gauges
// nodejs_active_{handles,requests,resources}_total; promtool refuses a gauge ending in _total, so they
// are left out (each is the sum over the `type` label of the gauge of the same name without _total).
// The bridge and the custody service each start from one.
import { collectDefaultMetrics, Registry } from 'prom-client';

const MISNAMED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function processMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED) registry.removeSingleMetric(name);
  return registry;
}
