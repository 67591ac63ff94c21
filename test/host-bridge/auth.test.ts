// Bearer tokens: only hashes are stored, scopes are enforced by the app, and a token is shown once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addToken, readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import { createApp } from '../../host-bridge/app.js';
import { ApplianceError } from '../../protocol/errors.js';

test('the tokens file stores hashes only, with mode 0600', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tok-')), 'tokens.json');
  const token = addToken(file, 'orch', ['orchestrator']);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes(token));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const v = new TokenVerifier(readTokens(file));
  assert.deepEqual(v.verify(`Bearer ${token}`), { name: 'orch', scopes: ['orchestrator'] });
  assert.throws(() => v.verify(`Bearer ${token}x`), (e: unknown) => e instanceof ApplianceError && e.code === 'unauthorized');
  assert.throws(() => v.verify(undefined), (e: unknown) => e instanceof ApplianceError && e.code === 'unauthorized');
  assert.throws(() => addToken(file, 'x', ['root' as never]), (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request');
});

test('scopes gate the routes, and the bridge forwards the authenticated name as requester', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tok-')), 'tokens.json');
  const auditor = addToken(file, 'aud', ['auditor']);
  const orch = addToken(file, 'orch', ['orchestrator']);
  const calls: { cmd: string; args: unknown }[] = [];
  const app = createApp({
    appliance: { call: async (cmd, args) => (calls.push({ cmd, args }), { status: 'pending_approval', requestId: 'r' }) },
    tokens: new TokenVerifier(readTokens(file)),
  });
  const body = JSON.stringify({ keyId: 'k', transaction: { type: 'legacy', chainId: 1, nonce: 0, to: '0x' + '00'.repeat(20), value: '1', gasLimit: 21000, gasPrice: '1' } });
  const denied = await app.request('/v1/sign/evm-transaction', { method: 'POST', headers: { Authorization: `Bearer ${auditor}`, 'Idempotency-Key': 'a' }, body });
  assert.equal(denied.status, 403);
  assert.equal(calls.length, 0, 'nothing forwarded without the scope');
  const ok = await app.request('/v1/sign/evm-transaction', { method: 'POST', headers: { Authorization: `Bearer ${orch}`, 'Idempotency-Key': 'a' }, body });
  assert.equal(ok.status, 202);
  assert.equal(calls[0]?.cmd, 'sign.evm-tx');
  assert.equal((calls[0]?.args as { requester: string }).requester, 'orch');
  assert.equal((calls[0]?.args as { requestId: string }).requestId, 'a');
});
