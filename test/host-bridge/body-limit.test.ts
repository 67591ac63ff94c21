// Request-body caps per route class, driven through the bridge app with app.request() (issue 11
// item 7). The body is a counting stream, so the test sees how much of it the bridge pulled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../host-bridge/app.js';
import type { PrincipalDirectory } from '../../host-bridge/principal-directory.js';
import { TokenVerifier } from '../../host-bridge/auth.js';
import { bodyLimitFor, DEFAULT_BODY_LIMIT } from '../../host-bridge/body-limit.js';
import { problemOf } from '../helpers/problem.js';

let calls = 0;
const tokens = { verify: () => ({ name: 'ops', id: 'ops', scopes: ['orchestrator', 'approver', 'admin', 'auditor'] }) } as unknown as TokenVerifier;
// Body caps are the bridge's alone: the principal directory answers that the token's principal is known
// and holds the role of every scope the route accepts.
const principals = { assertKnown: async () => undefined, allowedScopes: async (_p: unknown, accepted: string[]) => accepted } as unknown as PrincipalDirectory;
const app = createApp({ appliance: { call: async () => (calls++, { status: 'denied', requestId: 'r' }) }, tokens, principals });

function counting(total: number, byte = 0x20): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const chunk = new Uint8Array(16 * 1024).fill(byte);
  return {
    body: new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled >= total) return c.close();
        const n = Math.min(chunk.length, total - pulled);
        pulled += n;
        c.enqueue(chunk.subarray(0, n));
      },
    }),
    pulled: () => pulled,
  };
}

const post = (path: string, body: ReadableStream<Uint8Array> | string, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k', ...headers }, body, duplex: 'half' } as RequestInit);

test('caps by route class: 256 KiB by default, more only where a route needs it', () => {
  assert.equal(bodyLimitFor('POST', '/v1/keys'), DEFAULT_BODY_LIMIT);
  assert.equal(bodyLimitFor('POST', '/v1/sign/typed-data'), DEFAULT_BODY_LIMIT);
  assert.equal(bodyLimitFor('POST', '/v1/sign/evm-transaction'), 512 * 1024);
  assert.equal(bodyLimitFor('POST', '/v1/policy/proposals'), 4 * 1024 * 1024);
  assert.equal(bodyLimitFor('POST', '/v1/policy/proposals/p-1/approvals'), DEFAULT_BODY_LIMIT);
});

test('a declared length over the cap is refused before the body is read', async () => {
  const b = counting(40 << 20);
  const res = await post('/v1/keys', b.body, { 'Content-Length': String(40 << 20) });
  assert.equal(res.status, 413);
  assert.equal(res.headers.get('Connection'), 'close');
  assert.equal(res.headers.get('Content-Type'), 'application/problem+json');
  assert.deepEqual(await res.json(), {
    type: '/problems/body_too_large',
    title: "The request body is over this route's limit",
    status: 413,
    detail: `the request body exceeds the ${DEFAULT_BODY_LIMIT}-byte limit of this route`,
    code: 'body_too_large',
    error: 'body_too_large',
    details: { limit: DEFAULT_BODY_LIMIT },
  });
  assert.ok(b.pulled() <= 16 * 1024, `pulled ${b.pulled()}`); // at most the chunk a stream buffers on creation
});

test('a body without a length is counted as it streams and refused just past the cap', async () => {
  const b = counting(40 << 20);
  const res = await post('/v1/sign/evm-transaction', b.body);
  assert.equal(res.status, 413);
  assert.ok(b.pulled() > 512 * 1024 && b.pulled() <= 512 * 1024 + 32 * 1024, `pulled ${b.pulled()}`);
});

test('a body at the cap goes through; a Content-Length that is not a number is refused', async () => {
  const before = calls;
  const json = JSON.stringify({ label: 'x'.repeat(DEFAULT_BODY_LIMIT - 40), group: 'hot' });
  const res = await post('/v1/keys', json + ' '.repeat(DEFAULT_BODY_LIMIT - json.length));
  // The cap let the whole body in; the label is too long for the route: a field error, not a 413.
  assert.equal(res.status, 400);
  assert.equal(problemOf(await res.json()).details?.field, 'label');
  assert.equal(calls, before);
  const weird = await post('/v1/keys', '{"label":"a","group":"hot"}', { 'Content-Length': '0x10' });
  assert.equal(weird.status, 400);
  assert.equal(problemOf(await weird.json()).message, 'Content-Length must be a decimal number of bytes');
});
