// The whitelist: propose an entry, approve or cancel a proposal (admins, signed), list the proposals
// and read one (admins, approvers and auditors: who approves sees what), list the entries with their
// holds, remove an entry at once.
import { ApplianceError } from '../../protocol/errors.js';
import { whitelistProposeParams, whitelistRemoveParams } from '../admin-params.js';
import { queryUints, type BridgeApp, type RouteContext } from './context.js';

export function whitelistRoutes(app: BridgeApp, r: RouteContext): void {
  app.post('/v1/whitelist/proposals', r.requireScope('admin'), async (c) => {
    return r.forward(c, 'whitelist.propose', whitelistProposeParams(await r.body(c), c.get('principal').id), 201);
  });
  const reviewers = r.requireScope('admin', 'approver', 'auditor');
  app.get('/v1/whitelist/proposals', reviewers, async (c) => {
    const status = c.req.query('status');
    if (status !== undefined && status !== 'pending' && status !== 'accepted' && status !== 'cancelled') {
      throw new ApplianceError('bad_request', '"status" expected pending, accepted or cancelled', { field: 'status' });
    }
    return r.forward(c, 'whitelist.proposals', { ...(status !== undefined ? { status } : {}), ...queryUints(c, 'limit', 'offset') });
  });
  app.get('/v1/whitelist/proposals/:id', reviewers, async (c) => r.forward(c, 'whitelist.proposal', { proposalId: r.param(c, 'id') }));
  app.post('/v1/whitelist/proposals/:id/approvals', r.requireScope('admin'), async (c) => r.forward(c, 'whitelist.approve', { proposalId: r.param(c, 'id'), ...(await r.adminSignedBody(c)) }));
  app.post('/v1/whitelist/proposals/:id/cancel', r.requireScope('admin'), async (c) => r.forward(c, 'whitelist.cancel', { proposalId: r.param(c, 'id'), ...(await r.adminSignedBody(c)) }));
  app.get('/v1/whitelist', r.readers, async (c) => r.forward(c, 'whitelist.list', queryUints(c, 'limit', 'offset')));
  app.delete('/v1/whitelist/:chainId/:address', r.requireScope('admin'), async (c) => {
    // A stamped removal carries { requestId, stamp } in a JSON body; an unsigned one needs none.
    const body = await r.optionalBody(c);
    return r.forward(c, 'whitelist.remove', whitelistRemoveParams(r.param(c, 'chainId'), r.param(c, 'address'), c.req.query('group'), body, c.get('principal').id));
  });
}
