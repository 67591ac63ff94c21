// Keys: generate one inside the token (admin), list them, read one (orchestrator, admin, auditor).
import { jsonString } from '../json-cbor.js';
import { queryUints, type BridgeApp, type RouteContext } from './context.js';

export function keyRoutes(app: BridgeApp, r: RouteContext): void {
  app.post('/v1/keys', r.requireScope('admin'), async (c) => {
    const b = await r.body(c);
    return r.forward(c, 'key.generate', { requester: c.get('principal').id, label: jsonString(b.label, 'label', 64), group: jsonString(b.group, 'group', 64) }, 201);
  });
  app.get('/v1/keys', r.readers, async (c) => r.forward(c, 'key.list', queryUints(c, 'limit', 'offset')));
  app.get('/v1/keys/:keyId', r.readers, async (c) => r.forward(c, 'key.get', { keyId: r.param(c, 'keyId') }));
}
