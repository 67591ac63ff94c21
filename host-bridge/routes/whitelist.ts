// The whitelist: propose an entry, approve or cancel a proposal (admins, signed), list the entries
// with their holds, remove an entry at once.
import { jsonAddress, jsonString, jsonUint } from '../json-cbor.js';
import { queryUints, type BridgeApp, type RouteContext } from './context.js';

export function whitelistRoutes(app: BridgeApp, r: RouteContext): void {
  app.post('/v1/whitelist/proposals', r.requireScope('admin'), async (c) => {
    const b = await r.body(c);
    const requester = c.get('principal').id;
    const group = jsonString(b.group, 'group', 64);
    const chainId = jsonUint(b.chainId, 'chainId');
    const address = jsonAddress(b.address, 'address');
    const label: { label?: string } = b.label === undefined ? {} : { label: jsonString(b.label, 'label', 128) };
    return r.forward(c, 'whitelist.propose', { requester, group, chainId, address, ...label }, 201);
  });
  app.post('/v1/whitelist/proposals/:id/approvals', r.requireScope('admin'), async (c) => r.forward(c, 'whitelist.approve', { proposalId: r.param(c, 'id'), ...(await r.signedBody(c, 'adminId')) }));
  app.post('/v1/whitelist/proposals/:id/cancel', r.requireScope('admin'), async (c) => r.forward(c, 'whitelist.cancel', { proposalId: r.param(c, 'id'), ...(await r.signedBody(c, 'adminId')) }));
  app.get('/v1/whitelist', r.readers, async (c) => r.forward(c, 'whitelist.list', queryUints(c, 'limit', 'offset')));
  app.delete('/v1/whitelist/:chainId/:address', r.requireScope('admin'), async (c) => {
    const requester = c.get('principal').id;
    const chainId = jsonUint(r.param(c, 'chainId'), 'chainId');
    const address = jsonAddress(r.param(c, 'address'), 'address');
    const given = c.req.query('group');
    const group: { group?: string } = given ? { group: jsonString(given, 'group', 64) } : {};
    return r.forward(c, 'whitelist.remove', { requester, chainId, address, ...group });
  });
}
