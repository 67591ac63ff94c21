// Sign requests after the fact: read one (a requester only its own; an approver, admin or auditor
// any, as the appliance judges on its policy) and add an approver's signed approval (a key-file
// signature or a passkey assertion, approval-body.ts).
import { SCOPE_ROLE } from '../principal-directory.js';
import { approverApprovalBody } from '../approval-body.js';
import type { BridgeApp, RouteContext } from './context.js';

export function requestRoutes(app: BridgeApp, r: RouteContext): void {
  app.get('/v1/requests/:id', r.requireScope('orchestrator', 'approver', 'admin', 'auditor'), async (c) => {
    const p = c.get('principal');
    const scope = p.scopes.find((s) => s !== 'orchestrator') ?? 'orchestrator';
    return r.forward(c, 'request.get', { requestId: r.param(c, 'id'), viewer: p.id, role: SCOPE_ROLE[scope] }, 'by-result');
  });
  app.post('/v1/requests/:id/approvals', r.requireScope('approver'), async (c) =>
    r.forward(c, 'request.approve', { requestId: r.param(c, 'id'), ...approverApprovalBody(await r.body(c)) }, 'by-result'),
  );
}
