// Server-sent events (any token): holds, approvals needed, policy changes, signatures and denials,
// derived from the audit log (host-bridge/events.ts). An orchestrator-only token sees its own requests.
// The approver console's cookie session reads it too (EventSource sends no Authorization header).
import { AuditEventFeed, sseResponse } from '../events.js';
import type { BridgeApp, RouteContext } from './context.js';

export function eventRoutes(app: BridgeApp, r: RouteContext, given?: AuditEventFeed): void {
  let events = given;
  app.get('/v1/events', r.requireScopeOrConsole('orchestrator', 'approver', 'admin', 'auditor'), async (c) => {
    const principal = c.get('principal');
    events ??= new AuditEventFeed({ appliance: r.appliance });
    await events.start();
    return sseResponse(events, c.req.raw.signal, { lastEventId: c.req.header('Last-Event-ID') ?? null, viewer: { principal: principal.id, scopes: principal.scopes } });
  });
}
