// Routes without a token: appliance readiness, this API's description, and Prometheus metrics.
import { ApplianceError } from '../../protocol/errors.js';
import type { Metrics } from '../metrics.js';
import { openApiDocument } from '../openapi.js';
import type { BridgeApp, RouteContext } from './context.js';

export function systemRoutes(app: BridgeApp, r: RouteContext, metrics: Metrics): void {
  app.get('/healthz', async (c) => {
    try {
      return await r.forward(c, 'health', {});
    } catch (err) {
      if (err instanceof ApplianceError && err.code === 'unavailable') return c.json({ ready: false, error: { code: err.code, message: err.message } }, 503);
      throw err;
    }
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument));
  app.get('/metrics', (c) => c.text(metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }));
}
