// The host bridge: an HTTP API for the orchestrator, approvers, admins and auditors. It checks
// bearer tokens and scopes, converts JSON to the appliance's canonical CBOR commands and back, and
// maps results to HTTP statuses. It holds no key, no PIN, and makes no policy decision. This module
// holds the middleware (trace id, metrics, body caps), the one error mapping (to RFC 9457 problems), and mounts the route
// modules of host-bridge/routes/.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { ApplianceError } from '../protocol/errors.js';
import type { ApplianceCaller } from './appliance-caller.js';
import type { TokenVerifier } from './auth.js';
import { problemOf, problemResponse } from './problem.js';
import { bodyCaps } from './body-limit.js';
import { Metrics } from './metrics.js';
import type { AuditEventFeed } from './events.js';
import { PrincipalDirectory } from './principal-directory.js';
import { routeContext, type BridgeApp, type Env } from './routes/context.js';
import { systemRoutes } from './routes/system.js';
import { keyRoutes } from './routes/keys.js';
import { hdWalletRoutes } from './routes/hd-wallets.js';
import { signRoutes } from './routes/sign.js';
import { requestRoutes } from './routes/requests.js';
import { whitelistRoutes } from './routes/whitelist.js';
import { policyRoutes } from './routes/policy.js';
import { auditRoutes } from './routes/audit.js';
import { deviceRoutes } from './routes/device.js';
import { eventRoutes } from './routes/events.js';
import { consoleRoutes } from './routes/console.js';
import { jsonRpcRoutes, type JsonRpcConfig } from './routes/jsonrpc.js';
import { checkConsoleOrigin } from './console/auth.js';
import { ConsoleSessions } from './console/sessions.js';

export type { ApplianceCaller } from './appliance-caller.js';

export interface BridgeOptions {
  appliance: ApplianceCaller;
  tokens: TokenVerifier;
  /** The event feed behind GET /v1/events; made on first use when not given. */
  events?: AuditEventFeed;
  /** The active policy's principals (a token bound to an unknown one is refused); made from `appliance` when not given. */
  principals?: PrincipalDirectory;
  /** Serve the approver console (docs/console.md) from this origin ("https://host[:port]", or "http://localhost:port"); sessions made when not given. */
  console?: { origin: string; sessions?: ConsoleSessions };
  /** The JSON-RPC endpoint's Ethereum node (docs/json-rpc.md). */
  jsonRpc?: JsonRpcConfig;
}

const TRACE_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function createApp(opts: BridgeOptions): BridgeApp {
  const app = new Hono<Env>();
  const metrics = new Metrics();

  // Each HTTP request gets a trace id (the caller's X-Request-Id when well-formed), carried into the
  // appliance's audit entries and echoed back.
  app.use('*', async (c, next) => {
    const started = performance.now();
    const given = c.req.header('X-Request-Id');
    const traceId = given && TRACE_RE.test(given) ? given : randomUUID();
    c.set('traceId', traceId);
    c.header('X-Request-Id', traceId);
    await next();
    metrics.observe(c.req.method, c.req.routePath, c.res.status, (performance.now() - started) / 1000);
  });
  app.use('*', bodyCaps()); // before any route reads a body (413 body_too_large; docs/limits.md)

  // Every error answer is an RFC 9457 problem (problem.ts).
  app.onError((err, c) => {
    if (err instanceof ApplianceError) {
      // The rest of an over-long body stays unread: close instead of draining it for keep-alive.
      if (err.code === 'body_too_large') c.header('Connection', 'close');
      return problemResponse(c, problemOf(err.code, err.message, err.details));
    }
    if (err instanceof SyntaxError) return problemResponse(c, problemOf('bad_request', 'request body is not valid JSON'));
    return problemResponse(c, problemOf('internal', 'internal error'));
  });

  if (opts.console) checkConsoleOrigin(opts.console.origin);
  const consoleConfig = opts.console ? { origin: opts.console.origin, sessions: opts.console.sessions ?? new ConsoleSessions() } : undefined;
  const r = routeContext(opts.appliance, opts.tokens, opts.principals ?? new PrincipalDirectory(opts.appliance), consoleConfig);
  systemRoutes(app, r, metrics);
  keyRoutes(app, r);
  hdWalletRoutes(app, r);
  signRoutes(app, r);
  requestRoutes(app, r);
  whitelistRoutes(app, r);
  policyRoutes(app, r);
  auditRoutes(app, r);
  deviceRoutes(app, r);
  eventRoutes(app, r, opts.events);
  consoleRoutes(app, r);
  jsonRpcRoutes(app, r, opts.jsonRpc);

  app.notFound((c) => problemResponse(c, problemOf('not_found', 'no such route')));
  return app;
}
