// /v1/requests/:id: a read names the viewer and the role of the scope it reads with; an approval
// carries the approver's signed fields (expiry as a number, signature as bytes); statuses follow the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordingBridge, TOKENS, errorOf } from './recording-bridge.js';

test('GET /v1/requests/:id sends viewer and role, and answers by the request status', async () => {
  const { request, sent } = recordingBridge({ 'request.get': { status: 'pending_approval', requestId: 'r-1' } });
  const asRequester = await request('GET', '/v1/requests/r-1', { token: TOKENS.orchestrator });
  assert.equal(asRequester.status, 202);
  const asAuditor = await request('GET', '/v1/requests/r-1', { token: TOKENS.auditor });
  assert.equal(asAuditor.status, 202);
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [
      { cmd: 'request.get', args: { requestId: 'r-1', viewer: 'orch-1', role: 'requester' } },
      { cmd: 'request.get', args: { requestId: 'r-1', viewer: 'aud-1', role: 'auditor' } },
    ],
  );
});

test('POST /v1/requests/:id/approvals becomes request.approve with the signed fields; signed is 200', async () => {
  const { request, sent } = recordingBridge({ 'request.approve': { status: 'signed', requestId: 'r-1' } });
  const res = await request('POST', '/v1/requests/r-1/approvals', { token: TOKENS.approver, body: { approverId: 'appr-1', expiresAt: 1700000000, signature: '0xdead' } });
  assert.equal(res.status, 200);
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [{ cmd: 'request.approve', args: { requestId: 'r-1', approverId: 'appr-1', expiresAt: 1700000000, signature: new Uint8Array([0xde, 0xad]) } }],
  );
});

test('an approval needs the approver scope and well-formed fields', async () => {
  const { request, sent } = recordingBridge();
  const orch = await request('POST', '/v1/requests/r-1/approvals', { token: TOKENS.orchestrator, body: { approverId: 'appr-1', expiresAt: 1, signature: '0x00' } });
  assert.equal(orch.status, 403);
  const bad = await request('POST', '/v1/requests/r-1/approvals', { token: TOKENS.approver, body: { approverId: 'appr-1', expiresAt: 1, signature: 'zz' } });
  assert.equal(bad.status, 400);
  assert.equal((await errorOf(bad)).code, 'bad_request');
  const notJson = await request('POST', '/v1/requests/r-1/approvals', { token: TOKENS.approver, body: '{' });
  assert.deepEqual(await errorOf(notJson), { code: 'bad_request', message: 'request body is not valid JSON' });
  assert.equal(sent.length, 0);
});
