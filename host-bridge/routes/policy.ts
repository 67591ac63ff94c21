// Policy changes: read the active policy, propose the next version (a JSON policy, made into the
// document that follows the active one, or a canonical CBOR document), approve, cancel or activate a
// proposal, list the open ones and read one (admins, approvers and auditors), and read the diff
// between two versions (JSON or Markdown).
import { asMap } from '../../protocol/args.js';
import { jsonOptUint } from '../json-cbor.js';
import { policyActivateParams, policyProposeParams, proposedDocument } from '../admin-params.js';
import { queryUints, type BridgeApp, type Ctx, type RouteContext } from './context.js';

export function policyRoutes(app: BridgeApp, r: RouteContext): void {
  app.get('/v1/policy', r.requireScope('auditor'), async (c) => r.forward(c, 'policy.get', {}));
  app.post('/v1/policy/proposals', r.requireScope('admin'), async (c) => {
    const b = await r.body(c);
    // A JSON policy: version, parent hash and device id are those that follow the active policy.
    const activeRef = async () => {
      const active = await r.command(c, 'policy.get', {});
      return { deviceId: String(asMap(active.document, 'document').deviceId), version: Number(active.version), hash: active.hash as Uint8Array };
    };
    const document = await proposedDocument(b, activeRef);
    return r.forward(c, 'policy.propose', policyProposeParams(document, b, c.get('principal').id), 201);
  });
  const adminSigned = async (c: Ctx, cmd: 'policy.approve' | 'policy.cancel') => r.forward(c, cmd, { proposalId: r.param(c, 'id'), ...(await r.adminSignedBody(c)) });
  app.post('/v1/policy/proposals/:id/approvals', r.requireScope('admin'), (c) => adminSigned(c, 'policy.approve'));
  app.post('/v1/policy/proposals/:id/cancel', r.requireScope('admin'), (c) => adminSigned(c, 'policy.cancel'));
  app.post('/v1/policy/proposals/:id/activate', r.requireScope('admin'), async (c) => {
    // A stamped activation carries { requestId, stamp } in a JSON body; an unsigned one needs none.
    const body = await r.optionalBody(c);
    return r.forward(c, 'policy.activate', policyActivateParams(r.param(c, 'id'), body, c.get('principal').id));
  });
  const reviewers = r.requireScope('admin', 'approver', 'auditor');
  app.get('/v1/policy/proposals', reviewers, async (c) => r.forward(c, 'policy.proposals', queryUints(c, 'limit')));
  app.get('/v1/policy/proposals/:id', reviewers, async (c) => r.forward(c, 'policy.proposal', { proposalId: r.param(c, 'id') }));
  app.get('/v1/policy/versions/:v/diff', r.requireScope('auditor'), async (c) => {
    const version = jsonOptUint(r.param(c, 'v'), 'version') ?? 0;
    const diff = await r.command(c, 'policy.diff', { version, ...queryUints(c, 'against') });
    if ((c.req.header('Accept') ?? '').includes('text/markdown')) return c.text(String(diff.markdown), 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
    return r.reply(c, diff);
  });
}
