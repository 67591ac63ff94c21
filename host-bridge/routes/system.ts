// Routes without a token: appliance readiness, this API's description, and Prometheus metrics (the
// bridge's own and the appliance's).
import { ApplianceError } from '../../protocol/errors.js';
import type { MetricsResult } from '../../protocol/commands/metrics.js';
import { problemOf, problemResponse } from '../problem.js';
import type { Metrics } from '../metrics.js';
import { openApiDocument } from '../openapi.js';
import type { BridgeApp, RouteContext } from './context.js';

export function systemRoutes(app: BridgeApp, r: RouteContext, metrics: Metrics): void {
  app.get('/healthz', async (c) => {
    try {
      return await r.forward(c, 'health', {});
    } catch (err) {
      if (err instanceof ApplianceError && err.code === 'unavailable') return problemResponse(c, problemOf(err.code, err.message, err.details, { ready: false }));
      throw err;
    }
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument));
  // The bridge's metrics and the appliance's (its `metrics` command); an appliance that does not
  // answer leaves only hsm_appliance_up 0 beside the bridge's own.
  app.get('/metrics', async (c) => {
    let appliance: MetricsResult | undefined;
    try {
      appliance = await r.command(c, 'metrics', {});
    } catch (err) {
      if (!(err instanceof ApplianceError)) throw err;
    }
    return c.body(await metrics.render(appliance), 200, { 'Content-Type': metrics.contentType });
  });
}
