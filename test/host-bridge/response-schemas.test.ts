// The bridge's answers match the schemas its API description documents for them. The bridge runs over
// a real device opened in this process (SoftHSM2 token, test clock; the dispatcher the socket server
// calls), so each body is what a client would get: keys, a signed, a pending and a denied transfer,
// the request they left, the whitelist, the policy, the device, its time, the audit log, an
// attestation quote. Each is checked with test/helpers/json-schema-check.ts against
// paths[path][method].responses[status] of host-bridge/openapi.ts.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dispatch } from '../../appliance/dispatch.js';
import type { Command } from '../../protocol/messages.js';
import { createApp } from '../../host-bridge/app.js';
import { hashToken, TokenVerifier } from '../../host-bridge/auth.js';
import { openApiDocument } from '../../host-bridge/openapi.js';
import { CHAIN_ID } from '../helpers/test-device.js';
import { openInProcessDevice, whitelistAddress, type InProcessDevice } from '../helpers/in-process-device.js';
import { schemaErrors, type JsonSchema } from '../helpers/json-schema-check.js';

const doc = openApiDocument as unknown as JsonSchema & { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>> };

const TOKENS = { orchestrator: 'token-orchestrator', auditor: 'token-auditor', admin: 'token-admin' } as const;
const tokens = new TokenVerifier([
  { name: 'orch', scopes: ['orchestrator'], sha256: hashToken(TOKENS.orchestrator), principal: 'orchestrator' },
  { name: 'aud', scopes: ['auditor'], sha256: hashToken(TOKENS.auditor), principal: 'auditor' },
  { name: 'admin', scopes: ['admin'], sha256: hashToken(TOKENS.admin), principal: 'admin-1' },
]);

let d: InProcessDevice;
let app: ReturnType<typeof createApp>;
const recipient = '0x' + Buffer.from(randomBytes(20)).toString('hex');
const stranger = '0x' + Buffer.from(randomBytes(20)).toString('hex');

/** The schema documented for `status` of `method path` (path as in the description). */
function documented(method: string, path: string, status: number, type = 'application/json'): JsonSchema {
  const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.[type]?.schema;
  assert.ok(schema, `${method.toUpperCase()} ${path} documents ${status} ${type}`);
  return schema;
}

/** Calls the bridge and checks the body against the documented schema; returns the body. */
async function conforms(
  method: string,
  described: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; status: number; type?: string },
): Promise<Record<string, unknown>> {
  const res = await app.request(url, {
    method: method.toUpperCase(),
    headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...opts.headers },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, opts.status, `${method} ${url}: ${JSON.stringify(body).slice(0, 300)}`);
  const type = opts.type ?? 'application/json';
  assert.equal(res.headers.get('Content-Type')?.split(';')[0], type);
  const errors = schemaErrors(body, documented(method, described, opts.status, type), doc);
  assert.deepEqual(errors, [], `${method.toUpperCase()} ${url} ${opts.status} against its documented schema`);
  return body;
}

const tx = (to: string, value: string, nonce: number) => ({ type: 'eip1559', chainId: CHAIN_ID, nonce, gasLimit: 21000, to, value, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' });

describe("the bridge's answers match their documented schemas", () => {
  before(async () => {
    d = await openInProcessDevice();
    await whitelistAddress(d, new Uint8Array(Buffer.from(recipient.slice(2), 'hex')));
    d.clock.advance(2);
    app = createApp({ appliance: { call: (cmd: Command, args = {}) => dispatch(d.dev, cmd, args) }, tokens });
  });
  after(() => d?.close());

  test('health, keys, policy, device, device time, whitelist, audit page and attestation quote', async () => {
    await conforms('get', '/healthz', '/healthz', { status: 200 });
    const page = await conforms('get', '/v1/keys', '/v1/keys', { token: TOKENS.orchestrator, status: 200 });
    const keyId = String((page.keys as { keyId: string }[])[0]?.keyId);
    await conforms('get', '/v1/keys/{keyId}', `/v1/keys/${keyId}`, { token: TOKENS.auditor, status: 200 });
    await conforms('get', '/v1/policy', '/v1/policy', { token: TOKENS.auditor, status: 200 });
    await conforms('get', '/v1/device', '/v1/device', { token: TOKENS.auditor, status: 200 });
    await conforms('get', '/v1/device/time', '/v1/device/time', { token: TOKENS.admin, status: 200 });
    const list = await conforms('get', '/v1/whitelist', '/v1/whitelist', { token: TOKENS.auditor, status: 200 });
    assert.equal((list.entries as unknown[]).length, 1, 'the whitelisted recipient is listed');
    const audit = await conforms('get', '/v1/audit', '/v1/audit?limit=50', { token: TOKENS.auditor, status: 200 });
    assert.ok((audit.entries as unknown[]).length > 3);
    await conforms('get', '/v1/device/attestation', `/v1/device/attestation?challenge=0x${'ab'.repeat(16)}`, { token: TOKENS.auditor, status: 200 });
  });

  test('HD wallets: the wallet, a derived key and the account xpub', async () => {
    const wallet = await conforms('post', '/v1/hd-wallets', '/v1/hd-wallets', { token: TOKENS.admin, body: { label: 'schema' }, status: 201 });
    const walletId = String(wallet.walletId);
    await conforms('post', '/v1/hd-wallets/{walletId}/keys', `/v1/hd-wallets/${walletId}/keys`, { token: TOKENS.admin, body: { account: 0, index: 3, group: 'hot', label: 'schema-3' }, status: 201 });
    await conforms('post', '/v1/hd-wallets/{walletId}/keys', `/v1/hd-wallets/${walletId}/keys`, {
      token: TOKENS.admin,
      body: { account: 0, index: 3, group: 'hot', label: 'again' },
      status: 409,
      type: 'application/problem+json',
    });
    await conforms('get', '/v1/hd-wallets/{walletId}/accounts/{account}/xpub', `/v1/hd-wallets/${walletId}/accounts/0/xpub`, { token: TOKENS.auditor, status: 200 });
    await conforms('get', '/v1/hd-wallets/{walletId}/accounts/{account}/xpub', '/v1/hd-wallets/hd-00/accounts/0/xpub', { token: TOKENS.auditor, status: 404, type: 'application/problem+json' });
  });

  test('signed, pending and denied transfers, the request each left, and the pending list', async () => {
    const keyId = String(d.keys[0]?.keyId);
    const sign = (key: string, to: string, value: string, nonce: number, status: number) =>
      conforms('post', '/v1/sign/evm-transaction', '/v1/sign/evm-transaction', {
        token: TOKENS.orchestrator,
        headers: { 'Idempotency-Key': key },
        body: { keyId, transaction: tx(to, value, nonce) },
        status,
      });
    const signed = await sign('small', recipient, '100000000000000000', 0, 200);
    assert.equal(signed.status, 'signed');
    const pending = await sign('large', recipient, '2000000000000000000', 1, 202);
    assert.equal(pending.status, 'pending_approval');
    const denied = await sign('stranger', stranger, '1000', 2, 403);
    assert.equal(denied.status, 'denied');
    for (const [id, status] of [
      ['small', 200],
      ['large', 202],
      ['stranger', 403],
    ] as const) {
      await conforms('get', '/v1/requests/{id}', `/v1/requests/${id}`, { token: TOKENS.orchestrator, status });
    }
    const listed = await conforms('get', '/v1/requests', '/v1/requests', { token: TOKENS.auditor, status: 200 });
    assert.deepEqual(
      (listed.requests as { requestId: string }[]).map((r) => r.requestId),
      ['large'],
    );
  });

  test('errors are problems (application/problem+json) that match the documented Problem schema', async () => {
    const problem = 'application/problem+json';
    const missing = await conforms('get', '/v1/keys/{keyId}', '/v1/keys/k-none', { token: TOKENS.auditor, status: 404, type: problem });
    assert.equal(missing.code, 'not_found');
    const noKey = await conforms('post', '/v1/sign/evm-transaction', '/v1/sign/evm-transaction', { token: TOKENS.orchestrator, body: { keyId: 'k', transaction: {} }, status: 400, type: problem });
    assert.equal(noKey.code, 'bad_request');
    const scope = await conforms('get', '/v1/policy', '/v1/policy', { token: TOKENS.orchestrator, status: 403, type: problem });
    assert.equal(scope.code, 'forbidden');
    await conforms('get', '/v1/policy', '/v1/policy', { status: 401, type: problem });
  });
});
