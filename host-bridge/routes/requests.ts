// Sign requests after the fact: list the pending ones and read one (a requester only its own; an
// approver, admin or auditor any, as the appliance judges on its policy) and add an approver's
// approval (a key-file signature or a passkey assertion, approval-body.ts). The approver console
// reaches these with its cookie session (console/auth.ts).
import { ApplianceError } from '../../protocol/errors.js';
import type { Principal } from '../auth.js';
import { SCOPE_ROLE } from '../principal-directory.js';
import { approverApprovalBody } from '../approval-body.js';
import { queryUints, type BridgeApp, type RouteContext } from './context.js';

/** The role the appliance judges a reader by: the first scope other than orchestrator, if any. */
const viewerOf = (p: Principal) => {
  const scope = p.scopes.find((s) => s !== 'orchestrator') ?? 'orchestrator';
  return { viewer: p.id, role: SCOPE_ROLE[scope] };
};

export function requestRoutes(app: BridgeApp, r: RouteContext): void {
  app.get('/v1/requests', r.requireScopeOrConsole('orchestrator', 'approver', 'admin', 'auditor'), async (c) => {
    const status = c.req.query('status') ?? 'pending';
    if (status !== 'pending') throw new ApplianceError('bad_request', 'only status=pending is listed', { field: 'status' });
    const after = c.req.query('after');
    return r.forward(c, 'request.list', { status, ...queryUints(c, 'limit'), ...(after !== undefined ? { after } : {}), ...viewerOf(c.get('principal')) });
  });
  app.get('/v1/requests/:id', r.requireScopeOrConsole('orchestrator', 'approver', 'admin', 'auditor'), async (c) =>
    r.forward(c, 'request.get', { requestId: r.param(c, 'id'), ...viewerOf(c.get('principal')) }, 'by-result'),
  );
  app.post('/v1/requests/:id/approvals', r.requireScopeOrConsole('approver'), async (c) =>
    r.forward(c, 'request.approve', { requestId: r.param(c, 'id'), ...approverApprovalBody(await r.body(c)) }, 'by-result'),
  );
}
