// The deposits module's routes over app.request(): a deposit address made through the bridge's
// POST /v1/keys with the configured admin's token and an Ed25519 stamp the admin's public key verifies
// (the bridge here is a small HTTP double recording what it was sent: the appliance behind the real one
// is exercised by test/e2e/ledger-sweep.test.ts), then registered; the bridge refusing is a 502
// bridge_error, no admin configured a 503; GET /v1/deposits with filters and pages. The deposits job
// itself runs in reconciliation.test.ts on a real anvil.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { adminRequestStatement } from '../../../host-bridge/request-stamp-client.js';
import { fileStamper } from '../../../custody/ledger-settings.js';
import type { ChainConfig } from '../../../ledger/chain.js';
import type { Db } from '../../../ledger/db.js';
import { recordInclusion } from '../../../ledger/deposits.js';
import { registerCustodyAddress } from '../../../ledger/custody-addresses.js';
import { openLedgerDb } from '../../../ledger/open-ledger.js';
import { OPERATOR_TOKEN, READER_TOKEN } from '../fixtures.js';
import { call, ledgerService, type LedgerService } from '../ledger-service.js';

const CHAIN: ChainConfig = { chainId: 31337n, rpcUrl: 'http://127.0.0.1:9/unused', finality: { confirmations: 1 }, tokens: [] };
const ADMIN_TOKEN = 'hsm_admin_token_for_tests';

let db: Db;
let dir: string;
let bridge: Server;
let bridgeUrl: string;
const seen: { auth: string | undefined; body: Record<string, unknown> }[] = [];
const made: string[] = [];
let s: LedgerService;
const { publicKey, privateKey } = generateKeyPairSync('ed25519');

before(async () => {
  db = await openLedgerDb();
  dir = mkdtempSync(join(tmpdir(), 'custody-deposits-'));
  writeFileSync(join(dir, 'admin.token'), `${ADMIN_TOKEN}\n`);
  writeFileSync(join(dir, 'admin.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  bridge = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.headers.authorization !== `Bearer ${ADMIN_TOKEN}`) return send(401, { error: { code: 'unauthorized', message: 'unknown token' } });
      if (req.method === 'GET' && req.url === '/healthz') return send(200, { status: 'ok', deviceId: 'dev-test-1' });
      if (req.method === 'POST' && req.url === '/v1/keys') {
        const body = JSON.parse(text) as Record<string, unknown>;
        seen.push({ auth: req.headers.authorization, body });
        const address = privateKeyToAccount(generatePrivateKey()).address;
        made.push(address.toLowerCase());
        return send(201, { keyId: `key-${made.length}`, label: body.label, group: body.group, address });
      }
      send(404, { error: { code: 'not_found', message: 'no route' } });
    });
  });
  await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
  bridgeUrl = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
  s = ledgerService(db, [CHAIN], {
    bridge: { url: bridgeUrl, token: () => 'unused-requester-token' },
    settings: { admin: { principal: { id: 'ops-admin', stamp: fileStamper(join(dir, 'admin.pem'), 'bridge.admin.requestKeyFile') }, token: () => ADMIN_TOKEN } },
  });
});
after(async () => {
  await db?.close();
  await new Promise<void>((resolve) => (bridge ? bridge.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a deposit address: the appliance's key through the bridge with the admin's token and stamp, registered for the customer", async () => {
  const r = await call(s.app, 'POST', '/v1/customers/carol/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body, { chainId: '31337', address: made[0], role: 'deposit', customer: 'carol', keyId: 'key-1', keyGroup: 'deposit' });
  const sent = seen[0]!;
  assert.equal(sent.auth, `Bearer ${ADMIN_TOKEN}`);
  assert.equal(sent.body.label, 'dep-carol');
  assert.equal(sent.body.group, 'deposit');
  assert.match(sent.body.requestId as string, /^keygen-/);
  const stamp = sent.body.stamp as { expiresAt: number; signature: string };
  const statement = adminRequestStatement({ command: 'key.generate', deviceId: 'dev-test-1', body: sent.body, requester: 'ops-admin', expiresAt: stamp.expiresAt });
  assert.ok(verify(null, statement, publicKey, Buffer.from(stamp.signature.slice(2), 'hex')), "the stamp is the admin's signature over the key.generate statement");
  assert.ok(
    !verify(
      null,
      statement,
      publicKey,
      Buffer.from(
        stamp.signature.slice(2).replace(/^../, (x) => (x === '00' ? '01' : '00')),
        'hex',
      ),
    ),
  );
  const listed = await call(s.app, 'GET', '/v1/custody-addresses?customer=carol', READER_TOKEN);
  assert.deepEqual(
    (listed.body.addresses as { address: string }[]).map((a) => a.address),
    [made[0]],
  );
  const labelled = await call(s.app, 'POST', '/v1/customers/carol/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337', label: 'carol second' });
  assert.equal(labelled.status, 201);
  assert.equal(seen[1]!.body.label, 'carol second');
  assert.notEqual(labelled.body.address, r.body.address, 'each call makes a new key');
});

test('refusals: bad input 400, a reader 403, the bridge refusing 502 bridge_error, no admin configured 503', async () => {
  const cases: [string, unknown, string][] = [
    ['/v1/customers/car%20ol/deposit-addresses', { chainId: '31337' }, 'customer'],
    ['/v1/customers/carol/deposit-addresses', { chainId: 'x' }, 'chainId'],
    ['/v1/customers/carol/deposit-addresses', { chainId: '5' }, 'chainId'],
    ['/v1/customers/carol/deposit-addresses', { chainId: '31337', group: 'hot' }, 'group'],
  ];
  for (const [path, body, field] of cases) {
    const r = await call(s.app, 'POST', path, OPERATOR_TOKEN, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.field, field);
  }
  assert.equal((await call(s.app, 'POST', '/v1/customers/carol/deposit-addresses', READER_TOKEN, { chainId: '31337' })).status, 403);

  const wrongToken = ledgerService(db, [CHAIN], { bridge: { url: bridgeUrl, token: () => 'x' }, settings: { admin: { principal: { id: 'ops-admin' }, token: () => 'not-the-admin' } } });
  const refused = await call(wrongToken.app, 'POST', '/v1/customers/dave/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(refused.status, 502);
  assert.equal(refused.type, 'application/problem+json');
  assert.equal(refused.body.code, 'bridge_error');
  assert.equal(refused.body.bridgeCode, 'unauthorized');
  assert.equal(refused.body.bridgeStatus, 401);

  const noAdmin = ledgerService(db, [CHAIN], { bridge: { url: bridgeUrl, token: () => 'x' } });
  const unconfigured = await call(noAdmin.app, 'POST', '/v1/customers/dave/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(unconfigured.status, 503);
  assert.equal(unconfigured.body.code, 'not_configured');
  assert.equal(unconfigured.body.field, 'bridge.admin');
  const noBridge = ledgerService(db, [CHAIN]);
  assert.equal((await call(noBridge.app, 'POST', '/v1/customers/dave/deposit-addresses', OPERATOR_TOKEN, { chainId: '31337' })).body.field, 'bridge');
  assert.deepEqual((await call(s.app, 'GET', '/v1/custody-addresses?customer=dave', READER_TOKEN)).body.addresses, [], 'nothing registered on a refusal');
});

test('GET /v1/deposits: filters and pages', async () => {
  const erin = '0x' + 'e1'.repeat(20);
  const fred = '0x' + 'f1'.repeat(20);
  await registerCustodyAddress(db, { chainId: 31337n, address: erin, role: 'deposit', customer: 'erin' });
  await registerCustodyAddress(db, { chainId: 31337n, address: fred, role: 'deposit', customer: 'fred' });
  const block = (n: number) => ({ number: BigInt(n), hash: '0x' + n.toString(16).padStart(64, '0') });
  const t = (i: number, to: string, customer: string) => ({
    txHash: '0x' + i.toString(16).padStart(64, 'a'),
    logIndex: -1,
    from: '0x' + '99'.repeat(20),
    to,
    asset: '31337:native',
    amount: BigInt(100 + i),
    customer,
  });
  await recordInclusion(db, 31337n, block(10), t(1, erin, 'erin'));
  await recordInclusion(db, 31337n, block(11), t(2, fred, 'fred'));
  await recordInclusion(db, 31337n, block(12), t(3, erin, 'erin'));
  const erins = await call(s.app, 'GET', '/v1/deposits?customer=erin', READER_TOKEN);
  assert.deepEqual(
    (erins.body.deposits as { amount: string; status: string; blockNumber: string }[]).map((d) => [d.amount, d.status, d.blockNumber]),
    [
      ['101', 'included', '10'],
      ['103', 'included', '12'],
    ],
  );
  const p1 = await call(s.app, 'GET', '/v1/deposits?chainId=31337&limit=2', READER_TOKEN);
  assert.equal((p1.body.deposits as unknown[]).length, 2);
  assert.ok(typeof p1.body.next === 'string');
  const p2 = await call(s.app, 'GET', `/v1/deposits?chainId=31337&limit=2&after=${p1.body.next as string}`, READER_TOKEN);
  assert.deepEqual(
    (p2.body.deposits as { customer: string }[]).map((d) => d.customer),
    ['erin'],
  );
  assert.equal(p2.body.next, null);
  assert.deepEqual((await call(s.app, 'GET', `/v1/deposits?address=${fred}&status=final`, READER_TOKEN)).body.deposits, []);
  for (const q of ['status=lost', 'limit=0', 'address=0x12', 'after=x', 'chainId=0']) assert.equal((await call(s.app, 'GET', `/v1/deposits?${q}`, READER_TOKEN)).status, 400, q);
});
