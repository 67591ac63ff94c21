// The API description is kept true: every route the bridge serves is in /openapi.json with its
// method, and every described operation is served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../host-bridge/app.js';
import { TokenVerifier } from '../../host-bridge/auth.js';

const app = createApp({ appliance: { call: async () => ({}) }, tokens: new TokenVerifier([]) });

test('every served route is described in the OpenAPI document, and nothing else is', async () => {
  const res = await app.request('/openapi.json');
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(doc.openapi, '3.1.0');
  const described = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) for (const method of Object.keys(ops)) described.add(`${method.toUpperCase()} ${path}`);
  const served = new Set(
    app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
  );
  assert.deepEqual([...served].sort(), [...described].sort());
});
