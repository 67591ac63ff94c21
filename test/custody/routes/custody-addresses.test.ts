// The custody-address registry over HTTP, and the scopes: a reader reads but cannot register, an
// operator registers (201, then 200 for the same row, 409 address_taken for a deposit address), no
// token or an unknown one is 401, and bad bodies are 400 problems naming the member. No answer or log
// line holds a token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openLedgerDb } from '../../../ledger/open-ledger.js';
import type { Db } from '../../../ledger/db.js';
import { registerCustodyAddress } from '../../../ledger/custody-addresses.js';
import { CustodyTokens } from '../../../custody/auth.js';
import { createCustodyApp } from '../../../custody/app.js';
import type { CustodyApp } from '../../../custody/routes/context.js';
import { OPERATOR_TOKEN, READER_TOKEN, TOKEN_RECORDS } from '../fixtures.js';

const DEPOSIT = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
const HOT_MIXED = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
let db: Db;
let app: CustodyApp;
const logged: string[] = [];
before(async () => {
  db = await openLedgerDb();
  await registerCustodyAddress(db, { chainId: 31337n, address: DEPOSIT, role: 'deposit', customer: 'alice', keyId: 'k-dep-1' });
  app = createCustodyApp({ db, tokens: new CustodyTokens(TOKEN_RECORDS), logError: (l) => logged.push(l) });
});
after(async () => {
  await db?.close();
});

async function call(method: string, path: string, token: string | undefined, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await app.request(path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('Content-Type'), text, body: JSON.parse(text) as Record<string, unknown> };
}

test('an operator registers a hot address: 201, then 200 for the same row; both scopes list it', async () => {
  const created = await call('POST', '/v1/custody-addresses', OPERATOR_TOKEN, { chainId: '31337', address: HOT_MIXED, keyId: 'k-hot', keyGroup: 'treasury' });
  assert.equal(created.status, 201);
  assert.deepEqual(created.body, { chainId: '31337', address: HOT_MIXED.toLowerCase(), role: 'hot', keyId: 'k-hot', keyGroup: 'treasury' });
  const again = await call('POST', '/v1/custody-addresses', OPERATOR_TOKEN, { chainId: '31337', address: HOT_MIXED.toLowerCase(), keyId: 'k-hot', keyGroup: 'treasury' });
  assert.equal(again.status, 200);
  for (const token of [READER_TOKEN, OPERATOR_TOKEN]) {
    const list = await call('GET', '/v1/custody-addresses', token);
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body.addresses as { address: string; role: string }[]).map((a) => [a.address, a.role]),
      [
        [DEPOSIT, 'deposit'],
        [HOT_MIXED.toLowerCase(), 'hot'],
      ],
    );
  }
  const deposits = await call('GET', '/v1/custody-addresses?role=deposit&customer=alice&chainId=31337', READER_TOKEN);
  assert.deepEqual(deposits.body.addresses, [{ chainId: '31337', address: DEPOSIT, role: 'deposit', customer: 'alice', keyId: 'k-dep-1' }]);
  const otherChain = await call('GET', '/v1/custody-addresses?chainId=1', READER_TOKEN);
  assert.deepEqual(otherChain.body.addresses, []);
});

test("a customer's deposit address cannot be registered as hot: 409 address_taken", async () => {
  const r = await call('POST', '/v1/custody-addresses', OPERATOR_TOKEN, { chainId: '31337', address: DEPOSIT });
  assert.equal(r.status, 409);
  assert.equal(r.type, 'application/problem+json');
  assert.equal(r.body.code, 'address_taken');
  assert.equal(r.body.type, '/problems/address_taken');
});

test('scopes: a reader cannot register (403), no token or an unknown one is 401; no answer echoes a token', async () => {
  const reader = await call('POST', '/v1/custody-addresses', READER_TOKEN, { chainId: '31337', address: HOT_MIXED });
  assert.equal(reader.status, 403);
  assert.equal(reader.body.code, 'forbidden');
  assert.deepEqual(reader.body.scopes, ['operator']);
  const none = await call('GET', '/v1/custody-addresses', undefined);
  assert.equal(none.status, 401);
  assert.equal(none.body.code, 'unauthorized');
  const unknown = await call('GET', '/v1/ledger/balances', 'cst_not_a_known_token_000');
  assert.equal(unknown.status, 401);
  const malformed = await call('GET', '/v1/ledger/entries', 'short');
  assert.equal(malformed.status, 401);
  for (const r of [reader, none, unknown, malformed]) {
    assert.ok(!r.text.includes(READER_TOKEN) && !r.text.includes('cst_not_a_known_token_000'));
  }
  assert.deepEqual(logged, [], 'refusals are not errors of the service');
});

test('bad bodies are 400 problems naming the member', async () => {
  for (const [body, field] of [
    ['{not json', 'body'],
    [[], 'body'],
    [{ address: HOT_MIXED }, 'chainId'],
    [{ chainId: 31337, address: HOT_MIXED }, 'chainId'],
    [{ chainId: '0', address: HOT_MIXED }, 'chainId'],
    [{ chainId: '31337', address: '0x1234' }, 'address'],
    [{ chainId: '31337', address: HOT_MIXED, role: 'deposit' }, 'role'],
    [{ chainId: '31337', address: HOT_MIXED, keyId: 'a b' }, 'keyId'],
  ] as const) {
    const r = await call('POST', '/v1/custody-addresses', OPERATOR_TOKEN, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.type, 'application/problem+json');
    assert.equal(r.body.code, 'bad_request');
    assert.equal(r.body.field, field, JSON.stringify(body));
  }
  const badQuery = await call('GET', '/v1/custody-addresses?role=cold', READER_TOKEN);
  assert.equal(badQuery.status, 400);
  assert.equal(badQuery.body.field, 'role');
});

test('an unknown route is a 404 problem; /healthz needs no token', async () => {
  const r = await call('GET', '/v1/nothing', READER_TOKEN);
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'no_route');
  const h = await call('GET', '/healthz', undefined);
  assert.equal(h.status, 200);
  assert.deepEqual(h.body, { status: 'ok', jobs: [] });
});
