// The reconciliation module over app.request() on an in-memory ledger and a real anvil: the deposits job
// and the reconciliation job on the hand-driven clock; a run asked for right after a deposit catches the
// watcher up to the final block first (no false break); a break found, shown as JSON and as Markdown
// (Accept or ?format), its exception listed and resolved by the token's name (once), the event outbox
// after an id; pages, bad input and scopes; and every route of the service's modules described.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { CustodyTokens } from '../../../custody/auth.js';
import { createCustodyApp } from '../../../custody/app.js';
import { SERVICE_MODULES } from '../../../custody/modules.js';
import type { ChainConfig } from '../../../ledger/chain.js';
import { registerCustodyAddress } from '../../../ledger/custody-addresses.js';
import type { Db } from '../../../ledger/db.js';
import { openLedgerDb } from '../../../ledger/open-ledger.js';
import { startAnvil, type Anvil } from '../../helpers/anvil.js';
import { OPERATOR_TOKEN, READER_TOKEN, TOKEN_RECORDS } from '../fixtures.js';
import { call, ledgerService, type LedgerService } from '../ledger-service.js';

const ETH = 10n ** 18n;
const randomAddress = (): Hex => privateKeyToAccount(generatePrivateKey()).address.toLowerCase() as Hex;
const hot = randomAddress();
const alice = randomAddress();

let anvil: Anvil;
let db: Db;
let s: LedgerService;
before(async () => {
  anvil = await startAnvil();
  db = await openLedgerDb();
  await registerCustodyAddress(db, { chainId: 31337n, address: hot, role: 'hot' });
  await registerCustodyAddress(db, { chainId: 31337n, address: alice, role: 'deposit', customer: 'alice' });
  const chain: ChainConfig = { chainId: 31337n, rpcUrl: anvil.rpcUrl, finality: { confirmations: 1 }, tokens: [] };
  s = ledgerService(db, [chain], { settings: { jobs: { depositsEveryMs: 1_000, reconcileEveryMs: 10_000, sweepEveryMs: null } } });
});
after(async () => {
  await s?.jobs.stop();
  await db?.close();
  await anvil?.stop();
});

async function pay(to: Hex, value: bigint): Promise<void> {
  const hash = await anvil.funder.sendTransaction({ to, value, account: anvil.funder.account!, chain: anvil.funder.chain });
  await anvil.publicClient.waitForTransactionReceipt({ hash });
  await anvil.publicClient.request({ method: 'evm_mine' as never, params: [] as never }); // one confirmation: the block is final
}

type Run = { id: number; block: string; breakCount: number; rows: { address: string; chain: string; ledger: string; status: string; exception?: { id: number; kind: string } }[] };

test('the jobs on the injected clock: the deposits job credits at start, the reconciliation job runs at its interval with no break', async () => {
  await pay(alice, 2n * ETH);
  assert.deepEqual(
    s.jobs.status().map((j) => [j.name, j.everyMs]),
    [
      ['deposits:31337', 1_000],
      ['reconcile:31337', 10_000],
    ],
    'no sweep job unless jobs.sweepEveryMs is set',
  );
  s.jobs.start();
  s.clock.advance(0);
  await s.jobs.settled();
  const deps = await call(s.app, 'GET', '/v1/deposits?customer=alice', READER_TOKEN);
  assert.equal(deps.status, 200);
  const list = deps.body.deposits as { status: string; amount: string; to: string }[];
  assert.deepEqual(
    list.map((d) => [d.status, d.amount, d.to]),
    [['final', (2n * ETH).toString(), alice]],
  );
  assert.deepEqual((await call(s.app, 'GET', '/v1/reconciliations', READER_TOKEN)).body.reconciliations, [], 'no run before its interval');
  s.clock.advance(10_000);
  await s.jobs.settled();
  const runs = (await call(s.app, 'GET', '/v1/reconciliations', READER_TOKEN)).body.reconciliations as { breakCount: number; rowCount: number }[];
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.breakCount, 0);
  assert.equal(runs[0]!.rowCount, 2);
  assert.deepEqual(s.failures, []);
  await s.jobs.stop();
});

test('a run asked for right after a deposit first posts its finality up to the final block: no false break', async () => {
  await pay(alice, ETH);
  const r = await call(s.app, 'POST', '/v1/reconciliations', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(r.status, 201);
  const run = (r.body.reconciliations as Run[])[0]!;
  assert.equal(run.breakCount, 0);
  const row = run.rows.find((x) => x.address === alice)!;
  assert.equal(row.chain, (3n * ETH).toString());
  assert.equal(row.ledger, (3n * ETH).toString());
  const finals = (await call(s.app, 'GET', `/v1/deposits?status=final&address=${alice}`, READER_TOKEN)).body.deposits as unknown[];
  assert.equal(finals.length, 2);
});

test('a break: the run as JSON and Markdown, its exception resolved once by the token’s name, the events after an id', async () => {
  await anvil.publicClient.request({ method: 'anvil_setBalance' as never, params: [hot, '0x7'] as never });
  await anvil.publicClient.request({ method: 'anvil_mine' as never, params: ['0x2'] as never });
  const r = await call(s.app, 'POST', '/v1/reconciliations', OPERATOR_TOKEN, {});
  assert.equal(r.status, 201, r.text);
  const run = (r.body.reconciliations as Run[])[0]!;
  assert.equal(run.breakCount, 1);
  const broken = run.rows.find((x) => x.address === hot)!;
  assert.equal(broken.status, 'break');
  assert.equal(broken.exception?.kind, 'unknown_inflow');

  const json = await call(s.app, 'GET', `/v1/reconciliations/${run.id}`, READER_TOKEN);
  assert.equal(json.status, 200);
  assert.equal((json.body as unknown as Run).rows.length, 2);
  const asks: { q: string; h: Record<string, string> }[] = [
    { q: '?format=markdown', h: {} },
    { q: '', h: { Accept: 'text/markdown' } },
  ];
  for (const how of asks) {
    const md = await call(s.app, 'GET', `/v1/reconciliations/${run.id}${how.q}`, READER_TOKEN, undefined, how.h);
    assert.equal(md.status, 200);
    assert.match(md.type ?? '', /^text\/markdown/);
    assert.match(md.text, new RegExp(`^# Reconciliation ${run.id}: chain 31337 at block ${run.block}`));
    assert.match(md.text, new RegExp(`\\| ${hot} \\| hot \\| 31337:native \\| 7 \\| 0 \\| \\+7 \\| \\*\\*break\\*\\*: unknown_inflow, exception ${broken.exception!.id}`));
  }

  const open = await call(s.app, 'GET', '/v1/reconciliation-exceptions?status=open', READER_TOKEN);
  const items = open.body.exceptions as { id: number; address: string; amount: string; status: string }[];
  assert.deepEqual(
    items.map((e) => [e.id, e.address, e.amount, e.status]),
    [[broken.exception!.id, hot, '7', 'open']],
  );
  const path = `/v1/reconciliation-exceptions/${broken.exception!.id}/resolve`;
  assert.equal((await call(s.app, 'POST', path, READER_TOKEN, { note: 'x' })).status, 403);
  const noNote = await call(s.app, 'POST', path, OPERATOR_TOKEN, { note: ' ' });
  assert.equal(noNote.status, 400);
  assert.equal(noNote.body.field, 'note');
  const done = await call(s.app, 'POST', path, OPERATOR_TOKEN, { note: 'test top-up by the node operator' });
  assert.equal(done.status, 200);
  assert.equal(done.body.resolvedBy, 'operator');
  assert.equal(done.body.status, 'resolved');
  const again = await call(s.app, 'POST', path, OPERATOR_TOKEN, { note: 'twice' });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'already_resolved');
  assert.equal((await call(s.app, 'POST', '/v1/reconciliation-exceptions/999/resolve', OPERATOR_TOKEN, { note: 'x' })).body.code, 'not_found');
  assert.deepEqual((await call(s.app, 'GET', '/v1/reconciliation-exceptions?status=open', READER_TOKEN)).body.exceptions, []);

  const events = await call(s.app, 'GET', '/v1/ledger/events', READER_TOKEN);
  const ev = events.body.events as { id: number; type: string; payload: Record<string, unknown> }[];
  assert.deepEqual(
    ev.map((e) => e.type),
    ['reconciliation.break', 'exception.resolved'],
  );
  assert.equal(ev[1]!.payload.resolvedBy, 'operator');
  assert.equal(events.body.next, String(ev[1]!.id));
  const later = await call(s.app, 'GET', `/v1/ledger/events?after=${ev[0]!.id}`, READER_TOKEN);
  assert.deepEqual(
    (later.body.events as { type: string }[]).map((e) => e.type),
    ['exception.resolved'],
  );
  const none = await call(s.app, 'GET', `/v1/ledger/events?after=${ev[1]!.id}`, READER_TOKEN);
  assert.deepEqual(none.body, { events: [], next: String(ev[1]!.id) });
});

test('pages, bad input and scopes', async () => {
  const first = await call(s.app, 'GET', '/v1/reconciliations?limit=1', READER_TOKEN);
  const page1 = first.body.reconciliations as { id: number }[];
  assert.equal(page1.length, 1);
  assert.equal(first.body.next, String(page1[0]!.id));
  const rest = (await call(s.app, 'GET', `/v1/reconciliations?after=${first.body.next as string}`, READER_TOKEN)).body.reconciliations as { id: number }[];
  assert.equal(rest.length, 2);
  assert.ok(rest[0]!.id > page1[0]!.id);
  const cases: [string, string, unknown, string][] = [
    ['GET', '/v1/reconciliations/abc', undefined, 'id'],
    ['GET', '/v1/reconciliations?limit=0', undefined, 'limit'],
    ['GET', '/v1/reconciliations/1?format=html', undefined, 'format'],
    ['GET', '/v1/reconciliation-exceptions?kind=lost', undefined, 'kind'],
    ['GET', '/v1/ledger/events?after=-1', undefined, 'after'],
    ['POST', '/v1/reconciliations', { chainId: '5' }, 'chainId'],
    ['POST', '/v1/reconciliations', { chain: '5' }, 'chain'],
  ];
  for (const [method, path, body, field] of cases) {
    const r = await call(s.app, method, path, OPERATOR_TOKEN, body);
    assert.equal(r.status, 400, `${method} ${path}`);
    assert.equal(r.type, 'application/problem+json');
    assert.equal(r.body.field, field, `${method} ${path}`);
  }
  assert.equal((await call(s.app, 'GET', '/v1/reconciliations/999', READER_TOKEN)).body.code, 'not_found');
  const reader = await call(s.app, 'POST', '/v1/reconciliations', READER_TOKEN, {});
  assert.equal(reader.status, 403);
  assert.equal((await call(s.app, 'GET', '/v1/ledger/events', 'nope')).status, 401);
});

test("every route of the service's modules is described in /openapi.json, and nothing else", async () => {
  const app = createCustodyApp({ db, tokens: new CustodyTokens(TOKEN_RECORDS), modules: SERVICE_MODULES });
  const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
  const described = Object.entries(doc.paths)
    .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();
  const served = [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`))].sort();
  assert.deepEqual(served, described);
  for (const op of ['POST /v1/customers/{customer}/deposit-addresses', 'GET /v1/deposits', 'POST /v1/sweeps', 'GET /v1/sweeps', 'GET /v1/reconciliations/{id}', 'GET /v1/ledger/events'])
    assert.ok(served.includes(op), op);
});
