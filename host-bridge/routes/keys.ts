// Keys: generate one inside the token (admin), list them, read one (orchestrator, admin, auditor).
import { keyGenerateParams } from '../admin-params.js';
import { queryUints, type BridgeApp, type RouteContext } from './context.js';

export function keyRoutes(app: BridgeApp, r: RouteContext): void {
  app.post('/v1/keys', r.requireScope('admin'), async (c) => {
    return r.forward(c, 'key.generate', keyGenerateParams(await r.body(c), c.get('principal').id), 201);
  });
  app.get('/v1/keys', r.readers, async (c) => r.forward(c, 'key.list', queryUints(c, 'limit', 'offset')));
  app.get('/v1/keys/:keyId', r.readers, async (c) => r.forward(c, 'key.get', { keyId: r.param(c, 'keyId') }));
}
