// Bearer tokens: only hashes are stored, scopes are enforced by the app, a token is shown once, and
// every token is bound to a principal id of the policy, which is what the appliance sees as requester.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addToken, hashToken, readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import { createApp } from '../../host-bridge/app.js';
import { ApplianceError } from '../../protocol/errors.js';
import type { CborMap } from '../../protocol/cbor.js';
import { policyToCbor } from '../../firmware-policy/policy-document.js';
import { generateApproverKey, publicPart } from '../../cli/approver-key.js';
import { policyFromJson } from '../../host-bridge/policy-json.js';
import { problemOf } from '../helpers/problem.js';

/** policy.get of a policy whose requesters are `orchestrator-svc`, whose auditor is `aud-1`. */
function policyGet(): CborMap {
  const admin = publicPart(generateApproverKey('admin-1', 'ES256'));
  const doc = policyFromJson({ adminQuorum: 1, admins: [admin], approvers: [], requesters: [{ id: 'orchestrator-svc' }], auditors: [{ id: 'aud-1' }], groups: {} }, 'dev-1');
  return { version: 1, hash: new Uint8Array(32), activatedAt: 0, document: policyToCbor(doc) };
}

test('the tokens file stores hashes only, with mode 0600', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tok-')), 'tokens.json');
  const token = addToken(file, 'orch', ['orchestrator'], 'orchestrator-svc');
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes(token));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const v = new TokenVerifier(readTokens(file));
  assert.deepEqual(v.verify(`Bearer ${token}`), { name: 'orch', id: 'orchestrator-svc', scopes: ['orchestrator'] });
  assert.throws(
    () => v.verify(`Bearer ${token}x`),
    (e: unknown) => e instanceof ApplianceError && e.code === 'unauthorized',
  );
  assert.throws(
    () => v.verify(undefined),
    (e: unknown) => e instanceof ApplianceError && e.code === 'unauthorized',
  );
  assert.throws(
    () => addToken(file, 'x', ['root' as never], 'p'),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
  );
  assert.throws(
    () => addToken(file, 'x', ['auditor'], 'bad id with spaces'),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
  );
});

test('a token from a file made before binding (no principal) is refused, not taken at its name', () => {
  const token = 'hsm_' + 'a'.repeat(32);
  const v = new TokenVerifier([{ name: 'orchestrator', scopes: ['orchestrator'], sha256: hashToken(token) }]);
  assert.throws(
    () => v.verify(`Bearer ${token}`),
    (e: unknown) => e instanceof ApplianceError && e.code === 'unauthorized' && e.details?.code === 'token_unbound',
  );
});

test("scopes gate the routes, and the bridge forwards the token's principal id (not its name) as requester", async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tok-')), 'tokens.json');
  const auditor = addToken(file, 'aud', ['auditor'], 'aud-1');
  const orch = addToken(file, 'orch', ['orchestrator'], 'orchestrator-svc');
  const stranger = addToken(file, 'old-orch', ['orchestrator'], 'someone-else');
  const calls: { cmd: string; args: unknown }[] = [];
  const app = createApp({
    appliance: { call: async (cmd, args) => (cmd === 'policy.get' ? policyGet() : (calls.push({ cmd, args }), { status: 'pending_approval', requestId: 'r' })) },
    tokens: new TokenVerifier(readTokens(file)),
  });
  const body = JSON.stringify({ keyId: 'k', transaction: { type: 'legacy', chainId: 1, nonce: 0, to: '0x' + '00'.repeat(20), value: '1', gasLimit: 21000, gasPrice: '1' } });
  const denied = await app.request('/v1/sign/evm-transaction', { method: 'POST', headers: { Authorization: `Bearer ${auditor}`, 'Idempotency-Key': 'a' }, body });
  assert.equal(denied.status, 403);
  assert.equal(calls.length, 0, 'nothing forwarded without the scope');
  const unknown = await app.request('/v1/sign/evm-transaction', { method: 'POST', headers: { Authorization: `Bearer ${stranger}`, 'Idempotency-Key': 'b' }, body });
  assert.equal(unknown.status, 403);
  assert.equal(problemOf(await unknown.json()).details?.code, 'unknown_principal');
  assert.equal(calls.length, 0, 'nothing forwarded for a principal the policy does not know');
  const ok = await app.request('/v1/sign/evm-transaction', { method: 'POST', headers: { Authorization: `Bearer ${orch}`, 'Idempotency-Key': 'a' }, body });
  assert.equal(ok.status, 202);
  assert.equal(calls[0]?.cmd, 'sign.evm-tx');
  assert.equal((calls[0]?.args as { requester: string }).requester, 'orchestrator-svc');
  assert.equal((calls[0]?.args as { requestId: string }).requestId, 'a');
});
