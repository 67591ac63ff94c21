// /v1/keys: generate (admin; 201, requester from the token's principal), list with the query's page
// (absent fields left out), read one; an admin-scope token whose principal is not an admin is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordingBridge, TOKENS, documentedCommands, errorOf } from './recording-bridge.js';

test('POST /v1/keys becomes key.generate with the admin principal as requester, answered 201', async () => {
  const { request, sent } = recordingBridge({ 'key.generate': { keyId: 'k1', publicKey: new Uint8Array([4, 1]) } });
  const res = await request('POST', '/v1/keys', { token: TOKENS.admin, body: { label: 'hot-1', group: 'hot' } });
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { keyId: 'k1', publicKey: '0x0401' });
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [{ cmd: 'key.generate', args: { requester: 'admin-1', label: 'hot-1', group: 'hot' } }],
  );
  assert.ok(documentedCommands('POST /v1/keys').includes('key.generate'));
});

test('GET /v1/keys sends only the page fields given; GET /v1/keys/:keyId the key id', async () => {
  const { request, sent } = recordingBridge({ 'key.list': { keys: [], nextOffset: null } });
  assert.equal((await request('GET', '/v1/keys', { token: TOKENS.auditor })).status, 200);
  assert.equal((await request('GET', '/v1/keys?limit=10&offset=20', { token: TOKENS.orchestrator })).status, 200);
  assert.equal((await request('GET', '/v1/keys/k-7', { token: TOKENS.admin })).status, 200);
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [
      { cmd: 'key.list', args: {} },
      { cmd: 'key.list', args: { limit: 10, offset: 20 } },
      { cmd: 'key.get', args: { keyId: 'k-7' } },
    ],
  );
});

test('an admin-scope token bound to a requester is refused (role_not_held), an approver token (scope_missing); nothing is sent', async () => {
  const { request, sent } = recordingBridge();
  const asRequester = await request('POST', '/v1/keys', { token: TOKENS.adminAsRequester, body: { label: 'x', group: 'hot' } });
  assert.equal(asRequester.status, 403);
  assert.equal((await errorOf(asRequester)).details?.code, 'role_not_held');
  const approver = await request('GET', '/v1/keys', { token: TOKENS.approver });
  assert.equal(approver.status, 403);
  assert.equal((await errorOf(approver)).details?.code, 'scope_missing');
  assert.equal(sent.length, 0);
});

test('an appliance error keeps its code, message and details, at its HTTP status', async () => {
  const { ApplianceError } = await import('../../../protocol/errors.js');
  const { request } = recordingBridge({ 'key.get': new ApplianceError('not_found', 'no key "k-9"', { keyId: 'k-9' }) });
  const res = await request('GET', '/v1/keys/k-9', { token: TOKENS.auditor });
  assert.equal(res.status, 404);
  assert.deepEqual(await errorOf(res), { code: 'not_found', message: 'no key "k-9"', details: { keyId: 'k-9' } });
});
