// The API description is kept true: every route the bridge serves is in /openapi.json with its
// method, and every described operation is served; its error responses follow the command catalogue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../host-bridge/app.js';
import { TokenVerifier } from '../../host-bridge/auth.js';
import { ERROR_STATUS } from '../../host-bridge/http-status.js';
import { ROUTE_ERRORS, routeErrorCodes } from '../../host-bridge/openapi.js';

const app = createApp({ appliance: { call: async () => ({}) }, tokens: new TokenVerifier([]) });

test('every served route is described in the OpenAPI document, and nothing else is', async () => {
  const res = await app.request('/openapi.json');
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(doc.openapi, '3.1.0');
  const described = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) for (const method of Object.keys(ops)) described.add(`${method.toUpperCase()} ${path}`);
  const served = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`));
  assert.deepEqual([...served].sort(), [...described].sort());
});

test("each operation documents the error codes of the commands it forwards (the catalogue) and the bridge's own, at their HTTP statuses", async () => {
  const doc = (await (await app.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { 'x-appliance-commands'?: string[]; responses: Record<string, { description: string }> }>>;
  };
  const operations: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path}`;
      operations.push(key);
      const route = ROUTE_ERRORS[key];
      if (!route) continue;
      assert.deepEqual(op['x-appliance-commands'] ?? [], [...route.commands], key);
      for (const code of routeErrorCodes(route)) {
        const response = op.responses[String(ERROR_STATUS[code])];
        assert.ok(response?.description.includes(code), `${key}: ${code} documented at ${ERROR_STATUS[code]}`);
      }
    }
  }
  // Only the routes that answer without a token and whatever the appliance answers have no entry (/metrics
  // renders hsm_appliance_up 0 when the appliance does not answer).
  assert.deepEqual(operations.filter((k) => !ROUTE_ERRORS[k]).sort(), ['GET /metrics', 'GET /openapi.json']);
  assert.deepEqual(
    Object.keys(ROUTE_ERRORS).filter((k) => !operations.includes(k)),
    [],
  );
  // The catalogue's codes reach the document: sign.evm-tx can answer conflict (409) and denied (403).
  const sign = doc.paths['/v1/sign/evm-transaction']!.post!;
  assert.match(sign.responses['409']!.description, /conflict/);
  assert.match(sign.responses['400']!.description, /bad_checksum/);
  assert.match(sign.responses['413']!.description, /body_too_large/);
});
