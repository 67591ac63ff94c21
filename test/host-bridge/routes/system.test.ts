// /healthz forwards health without a token (503 with ready false when the appliance is unreachable);
// /v1/events needs a token; an unknown route is a typed 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplianceError } from '../../../protocol/errors.js';
import { recordingBridge, errorOf } from './recording-bridge.js';

test('GET /healthz answers the health result, or 503 ready:false when the appliance is unreachable', async () => {
  const up = recordingBridge({ health: { ready: true, deviceId: 'dev-1', policyHash: new Uint8Array([1]) } });
  const res = await up.request('GET', '/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ready: true, deviceId: 'dev-1', policyHash: '0x01' });
  assert.deepEqual(
    up.sent.map(({ cmd, args }) => ({ cmd, args })),
    [{ cmd: 'health', args: {} }],
  );
  const down = recordingBridge({ health: new ApplianceError('unavailable', 'appliance is not reachable') });
  const r503 = await down.request('GET', '/healthz');
  assert.equal(r503.status, 503);
  assert.equal(r503.headers.get('Content-Type'), 'application/problem+json');
  assert.deepEqual(await r503.json(), {
    ready: false,
    type: '/problems/unavailable',
    title: 'The appliance is not reachable or not ready',
    status: 503,
    detail: 'appliance is not reachable',
    code: 'unavailable',
    error: 'unavailable',
  });
});

test('GET /v1/events without a token is 401; an unknown route is 404 not_found', async () => {
  const { request, sent } = recordingBridge();
  assert.equal((await request('GET', '/v1/events')).status, 401);
  assert.deepEqual(await errorOf(await request('GET', '/v1/nothing')), { code: 'not_found', message: 'no such route' });
  assert.equal(sent.length, 0);
});
