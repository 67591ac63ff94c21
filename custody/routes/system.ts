// GET /healthz (no token: the database answers, and each periodic job's counters, no secret),
// GET /openapi.json (the API description) and GET /metrics (no token: Prometheus text, docs/metrics.md).
import type { Db } from '../../ledger/db.js';
import type { JobStatus } from '../jobs.js';
import type { CustodyModule } from '../module.js';
import { HEADERS_TOO_LARGE, ok, problems } from '../openapi.js';

/** The Prometheus exposition of the app (custody/metrics.ts) and its content type. */
export interface MetricsScrape {
  contentType: string;
  render(db: Db): Promise<string>;
}

export function systemModule(describe: () => object, jobs: () => JobStatus[], metrics: MetricsScrape): CustodyModule {
  return {
    name: 'system',
    routes(app, r) {
      app.get('/healthz', async (c) => {
        await r.db.query('SELECT 1');
        return c.json({ status: 'ok', jobs: jobs() });
      });
      app.get('/openapi.json', (c) => c.json(describe()));
      app.get('/metrics', async (c) => c.body(await metrics.render(r.db), 200, { 'Content-Type': metrics.contentType }));
    },
    paths: {
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Liveness: the database answers; the periodic jobs and their last outcome',
          security: [],
          responses: {
            '200': ok('up', {
              type: 'object',
              required: ['status', 'jobs'],
              properties: {
                status: { const: 'ok' },
                jobs: { type: 'array', items: { type: 'object', description: 'custody/jobs.ts JobStatus: name, everyMs, runs, failures, running, lastStartedAt, lastEndedAt, lastError' } },
              },
            }),
            ...HEADERS_TOO_LARGE,
            ...problems('internal'),
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics (text format 0.0.4): process metrics, request durations in seconds, job runs and failures by job, withdrawals by state (docs/metrics.md)',
          security: [],
          responses: {
            '200': { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } },
            ...HEADERS_TOO_LARGE,
            ...problems('internal'),
          },
        },
      },
      '/openapi.json': { get: { operationId: 'openapi', summary: 'This description (OpenAPI 3.1)', security: [], responses: { '200': ok('the document', { type: 'object' }), ...HEADERS_TOO_LARGE } } },
    },
  };
}
