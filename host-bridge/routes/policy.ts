// Policy changes: read the active policy, propose the next version (a JSON policy, made into the
// document that follows the active one, or a canonical CBOR document), approve, cancel or activate a
// proposal, read one, and read the diff between two versions (JSON or Markdown).
import { asMap } from '../../protocol/args.js';
import { DEFAULT_MAX_FRAME } from '../../protocol/frame.js';
import { encodePolicy } from '../../firmware-policy/policy-document.js';
import { jsonHex, jsonObject, jsonOptUint } from '../json-cbor.js';
import { policyFromJson, type PolicyJson } from '../policy-json.js';
import { queryUints, type BridgeApp, type Ctx, type RouteContext } from './context.js';

export function policyRoutes(app: BridgeApp, r: RouteContext): void {
  app.get('/v1/policy', r.requireScope('auditor'), async (c) => r.forward(c, 'policy.get', {}));
  app.post('/v1/policy/proposals', r.requireScope('admin'), async (c) => {
    const b = await r.body(c);
    let document: Uint8Array;
    if (b.document !== undefined) document = jsonHex(b.document, 'document', undefined, DEFAULT_MAX_FRAME);
    else {
      // A JSON policy: version, parent hash and device id are those that follow the active policy.
      const active = await r.command(c, 'policy.get', {});
      const doc = policyFromJson(jsonObject(b.policy, 'policy') as unknown as PolicyJson, String(asMap(active.document, 'document').deviceId), Number(active.version) + 1, active.hash as Uint8Array);
      document = encodePolicy(doc);
    }
    return r.forward(c, 'policy.propose', { requester: c.get('principal').id, document }, 201);
  });
  const adminSigned = async (c: Ctx, cmd: 'policy.approve' | 'policy.cancel') => r.forward(c, cmd, { proposalId: r.param(c, 'id'), ...(await r.signedBody(c, 'adminId')) });
  app.post('/v1/policy/proposals/:id/approvals', r.requireScope('admin'), (c) => adminSigned(c, 'policy.approve'));
  app.post('/v1/policy/proposals/:id/cancel', r.requireScope('admin'), (c) => adminSigned(c, 'policy.cancel'));
  app.post('/v1/policy/proposals/:id/activate', r.requireScope('admin'), async (c) => r.forward(c, 'policy.activate', { requester: c.get('principal').id, proposalId: r.param(c, 'id') }));
  app.get('/v1/policy/proposals/:id', r.requireScope('auditor'), async (c) => r.forward(c, 'policy.proposal', { proposalId: r.param(c, 'id') }));
  app.get('/v1/policy/versions/:v/diff', r.requireScope('auditor'), async (c) => {
    const version = jsonOptUint(r.param(c, 'v'), 'version') ?? 0;
    const diff = await r.command(c, 'policy.diff', { version, ...queryUints(c, 'against') });
    if ((c.req.header('Accept') ?? '').includes('text/markdown')) return c.text(String(diff.markdown), 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
    return r.reply(c, diff);
  });
}
