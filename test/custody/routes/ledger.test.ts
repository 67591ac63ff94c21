// The ledger's read API through app.request() on an in-memory ledger whose postings go through
// postEntry: balances with filters (every state a decimal string), one account, entries with filters and
// cursor pagination, one entry, and replay (empty differences, then a tampered balance found).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openLedgerDb } from '../../../ledger/open-ledger.js';
import type { Db } from '../../../ledger/db.js';
import { CustodyTokens } from '../../../custody/auth.js';
import { createCustodyApp } from '../../../custody/app.js';
import type { CustodyApp } from '../../../custody/routes/context.js';
import { ETH, HOT, READER_TOKEN, TOKEN, TOKEN_RECORDS, standardBook } from '../fixtures.js';

let db: Db;
let app: CustodyApp;
before(async () => {
  db = await openLedgerDb();
  await standardBook(db);
  app = createCustodyApp({ db, tokens: new CustodyTokens(TOKEN_RECORDS) });
});
after(async () => {
  await db?.close();
});

async function get(path: string, token = READER_TOKEN): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const res = await app.request(path, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('Content-Type'), body: (await res.json()) as Record<string, unknown> };
}

type Bal = { accountId: string; kind: string; owner: string; asset: string; available: string; reserved: string; pending: string; settled: string };
type Ent = { id: string; kind: string; trace: { traceId: string }; reverses: string | null; lines: { accountId: string; amount: string }[] };

test("balances of one customer: each account's four states as decimal strings", async () => {
  const r = await get('/v1/ledger/balances?customer=alice');
  assert.equal(r.status, 200);
  const list = r.body.balances as Bal[];
  assert.deepEqual(
    list.map((b) => b.accountId),
    [`customer/alice/${TOKEN}`, `customer/alice/${ETH}`],
    'in account id order',
  );
  assert.deepEqual(list[1], {
    accountId: `customer/alice/${ETH}`,
    kind: 'customer',
    owner: 'alice',
    asset: ETH,
    available: '4000000000000000000',
    reserved: '1000000000000000000',
    pending: '0',
    settled: '0',
  });
  assert.equal(list[0]!.available, '1000');
});

test('balances filtered by kind and asset', async () => {
  const custody = (await get('/v1/ledger/balances?kind=custody')).body.balances as Bal[];
  assert.deepEqual(
    custody.map((b) => b.accountId),
    [`custody/${HOT}/${TOKEN}`, `custody/${HOT}/${ETH}`],
  );
  assert.equal(custody[1]!.settled, '-7000000000000000000', 'the custody address mirrors 5 + 2 ETH, negative');
  assert.equal(custody[1]!.pending, '0', 'the reorged inclusion was reversed');
  const eth = (await get(`/v1/ledger/balances?asset=${encodeURIComponent(ETH)}`)).body.balances as Bal[];
  assert.deepEqual(eth.map((b) => b.owner).sort(), [HOT, 'alice', 'bob']);
  const none = (await get('/v1/ledger/balances?customer=carol')).body.balances as Bal[];
  assert.deepEqual(none, []);
});

test('one account by its percent-encoded id; an unknown one is a 404 problem with the ledger code', async () => {
  const r = await get(`/v1/ledger/accounts/${encodeURIComponent(`customer/bob/${ETH}`)}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.available, '2000000000000000000');
  const missing = await get(`/v1/ledger/accounts/${encodeURIComponent(`customer/carol/${ETH}`)}`);
  assert.equal(missing.status, 404);
  assert.equal(missing.type, 'application/problem+json');
  assert.equal(missing.body.code, 'unknown_account');
  const bad = await get('/v1/ledger/accounts/nonsense');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.field, 'accountId');
});

test('entries page by page: the next cursor walks the whole journal once, in id order', async () => {
  const seen: string[] = [];
  let after = '0';
  let pages = 0;
  for (;;) {
    const r = await get(`/v1/ledger/entries?limit=4&after=${after}`);
    assert.equal(r.status, 200);
    const entries = r.body.entries as Ent[];
    assert.ok(entries.length <= 4);
    seen.push(...entries.map((e) => e.id));
    pages++;
    if (r.body.next === null) break;
    assert.equal(r.body.next, entries[entries.length - 1]!.id);
    after = r.body.next as string;
  }
  assert.deepEqual(seen, ['1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(pages, 3);
  // A page that ends exactly at the last entry has no next cursor.
  const exact = await get('/v1/ledger/entries?after=5&limit=4');
  assert.equal((exact.body.entries as Ent[]).length, 4);
  assert.equal(exact.body.next, null);
});

test('entries filtered by account, kind and trace id', async () => {
  const bob = (await get(`/v1/ledger/entries?account=${encodeURIComponent(`customer/bob/${ETH}`)}`)).body.entries as Ent[];
  assert.deepEqual(
    bob.map((e) => e.id),
    ['5', '6', '8', '9'],
  );
  const reversals = (await get('/v1/ledger/entries?kind=reversal')).body.entries as Ent[];
  assert.equal(reversals.length, 1);
  assert.equal(reversals[0]!.reverses, '8');
  assert.equal(reversals[0]!.lines[0]!.amount, '-7');
  const traced = (await get('/v1/ledger/entries?traceId=dep-a2')).body.entries as Ent[];
  assert.deepEqual(
    traced.map((e) => e.kind),
    ['deposit.inclusion', 'deposit.finality'],
  );
  const both = (await get(`/v1/ledger/entries?kind=deposit.finality&account=${encodeURIComponent(`customer/alice/${ETH}`)}&limit=1`)).body;
  assert.deepEqual(
    (both.entries as Ent[]).map((e) => e.id),
    ['2'],
  );
  assert.equal(both.next, null);
});

test('one entry, and a missing one as a not_found problem', async () => {
  const r = await get('/v1/ledger/entries/7');
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'withdrawal.request');
  assert.deepEqual(r.body.trace, { traceId: 'wd-1' });
  const missing = await get('/v1/ledger/entries/999');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, 'not_found');
  assert.equal(missing.body.type, '/problems/not_found');
});

test('bad query input is a 400 problem naming the parameter', async () => {
  for (const [path, field] of [
    ['/v1/ledger/entries?limit=0', 'limit'],
    ['/v1/ledger/entries?limit=1001', 'limit'],
    ['/v1/ledger/entries?after=-1', 'after'],
    ['/v1/ledger/entries?after=01', 'after'],
    ['/v1/ledger/entries?kind=deposit', 'kind'],
    ['/v1/ledger/entries?account=alice', 'account'],
    ['/v1/ledger/entries/abc', 'id'],
    ['/v1/ledger/balances?kind=wallet', 'kind'],
    ['/v1/ledger/balances?asset=ETH', 'asset'],
    ['/v1/ledger/balances?customer=a%20b', 'customer'],
    ['/v1/ledger/balances?customer=alice&kind=fees', 'kind'],
  ] as const) {
    const r = await get(path);
    assert.equal(r.status, 400, path);
    assert.equal(r.type, 'application/problem+json', path);
    assert.equal(r.body.code, 'bad_request', path);
    assert.equal(r.body.field, field, path);
    assert.equal(r.body.status, 400, path);
    assert.equal(typeof r.body.title, 'string', path);
    assert.equal(typeof r.body.detail, 'string', path);
  }
});

test('replay reproduces every stored balance, then finds a balance the journal does not explain', async () => {
  const r = await get('/v1/ledger/replay');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { consistent: true, entries: 9, differences: [], corrupt: null });
  // Tamper with a stored balance behind the journal's back (balances are not append-only rows).
  await db.query("UPDATE ledger_balances SET amount = amount + 1 WHERE account_id = $1 AND state = 'available'", [`customer/bob/${ETH}`]);
  try {
    const broken = await get('/v1/ledger/replay');
    assert.equal(broken.body.consistent, false);
    assert.deepEqual(broken.body.differences, [{ accountId: `customer/bob/${ETH}`, state: 'available', stored: '2000000000000000001', replayed: '2000000000000000000' }]);
  } finally {
    await db.query("UPDATE ledger_balances SET amount = amount - 1 WHERE account_id = $1 AND state = 'available'", [`customer/bob/${ETH}`]);
  }
});
