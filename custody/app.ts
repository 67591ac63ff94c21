// The custody service's HTTP app (hono): a request id on every answer, the one error rendering (RFC 9457
// problems, never a stack or a secret), request metrics, and the routes of each module (custody/modules.ts)
// plus the system routes (health, the OpenAPI description built from the same modules, Prometheus metrics).
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Db } from '../ledger/db.js';
import type { CustodyTokens } from './auth.js';
import type { JobStatus } from './jobs.js';
import type { CustodyModule, ServiceContext } from './module.js';
import { LEDGER_MODULES } from './modules.js';
import { CustodyMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { ProblemError, toProblem } from './problem.js';
import { routeContext, type CustodyApp, type Env } from './routes/context.js';
import { systemModule } from './routes/system.js';

export interface CustodyAppOptions {
  db: Db;
  tokens: CustodyTokens;
  /** Modules beside the ledger's own (LEDGER_MODULES); e.g. the orchestrator's. */
  modules?: readonly CustodyModule[];
  /** The periodic jobs' counters for /healthz and /metrics. */
  jobs?: () => JobStatus[];
  /** Where unexpected errors are reported (a message and the request id, never a body or header). */
  logError?: (line: string) => void;
  /** Removes configured secrets (RPC URLs that carry an API key) from an error's text before it is logged. */
  redact?: (text: string) => string;
  /** The service the routes act for (chains, bridge): the deposits, sweeps and reconciliation routes need it. */
  service?: ServiceContext;
}

/** The largest request body any route accepts. */
export const BODY_LIMIT = 64 * 1024;

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function createCustodyApp(opts: CustodyAppOptions): CustodyApp {
  const app = new Hono<Env>();
  const logError = opts.logError ?? ((line: string) => process.stderr.write(`custody: ${line}\n`));
  const redact = opts.redact ?? ((text: string) => text);

  const metrics = new CustodyMetrics();
  app.use('*', async (c, next) => {
    const started = performance.now();
    const given = c.req.header('X-Request-Id');
    const id = given && REQUEST_ID_RE.test(given) ? given : randomUUID();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
    metrics.observe(c.req.method, c.req.routePath, c.res.status, (performance.now() - started) / 1000);
  });

  // No route takes a large body: refuse one before reading it (413, and the connection is closed).
  app.use(
    '*',
    bodyLimit({
      maxSize: BODY_LIMIT,
      onError: (c) => {
        c.header('Connection', 'close');
        throw new ProblemError('body_too_large', `the request body exceeds ${BODY_LIMIT} bytes`, { limit: BODY_LIMIT });
      },
    }),
  );

  app.onError((err, c) => {
    const p = toProblem(err);
    if (p.status >= 500) logError(`${c.req.method} ${c.req.routePath} request ${c.get('requestId')}: ${redact(err instanceof Error ? `${err.name}: ${err.message}` : 'non-error thrown')}`);
    return c.body(JSON.stringify(p), p.status as 400, { 'Content-Type': 'application/problem+json' });
  });
  app.notFound(() => {
    throw new ProblemError('no_route', 'no such route');
  });

  const modules = [...LEDGER_MODULES, ...(opts.modules ?? [])];
  const names = new Set<string>();
  for (const m of modules) {
    if (names.has(m.name)) throw new Error(`two custody modules are named "${m.name}"`);
    names.add(m.name);
  }
  let doc: object | undefined;
  const jobs = opts.jobs ?? (() => []);
  const scrape = {
    contentType: metrics.contentType,
    render: async (db: Db) => metrics.render(jobs(), (await Promise.all(modules.map((m) => m.gauges?.(db) ?? []))).flat()),
  };
  const all: CustodyModule[] = [systemModule((): object => (doc ??= buildOpenApi(all)), jobs, scrape), ...modules];
  const r = routeContext(opts.db, opts.tokens, opts.service);
  for (const m of all) m.routes?.(app, r);
  return app;
}
