// GET /healthz (no token: the database answers, and each periodic job's counters, no secret) and
// GET /openapi.json (the API description).
import type { JobStatus } from '../jobs.js';
import type { CustodyModule } from '../module.js';
import { ok, problems } from '../openapi.js';

export function systemModule(describe: () => object, jobs: () => JobStatus[]): CustodyModule {
  return {
    name: 'system',
    routes(app, r) {
      app.get('/healthz', async (c) => {
        await r.db.query('SELECT 1');
        return c.json({ status: 'ok', jobs: jobs() });
      });
      app.get('/openapi.json', (c) => c.json(describe()));
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
            ...problems('internal'),
          },
        },
      },
      '/openapi.json': { get: { operationId: 'openapi', summary: 'This description (OpenAPI 3.1)', security: [], responses: { '200': ok('the document', { type: 'object' }) } } },
    },
  };
}
