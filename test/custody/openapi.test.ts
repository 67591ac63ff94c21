// The custody API description is kept true: every served route is described with its method and
// nothing else is; each operation has an operationId (unique), security, and problem responses that
// name codes answering at that status; a module's extra route must bring its description.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { CustodyTokens } from '../../custody/auth.js';
import { createCustodyApp } from '../../custody/app.js';
import type { CustodyModule } from '../../custody/module.js';
import { ALL_PROBLEM_CODES, problemStatus } from '../../custody/problem.js';
import type { CustodyApp } from '../../custody/routes/context.js';

type Op = { operationId?: string; security?: unknown[]; responses: Record<string, { description: string; content?: Record<string, unknown> }> };
type Doc = { openapi: string; paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, unknown> } };

async function describe(app: CustodyApp): Promise<{ doc: Doc; served: string[]; described: string[] }> {
  const res = await app.request('/openapi.json');
  assert.equal(res.status, 200);
  const doc = (await res.json()) as Doc;
  const described: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) for (const method of Object.keys(ops)) described.push(`${method.toUpperCase()} ${path}`);
  const served = [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`))];
  return { doc, served: served.sort(), described: described.sort() };
}

test('every served route is described in /openapi.json, and nothing else is', async () => {
  const db = await openLedgerDb();
  try {
    const { doc, served, described } = await describe(createCustodyApp({ db, tokens: new CustodyTokens([]) }));
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(served, described);
    assert.ok(served.includes('GET /v1/ledger/entries/{id}') && served.includes('POST /v1/custody-addresses'));
  } finally {
    await db.close();
  }
});

test('each operation has a unique operationId, security, and problem responses at the codes’ statuses', async () => {
  const db = await openLedgerDb();
  try {
    const { doc } = await describe(createCustodyApp({ db, tokens: new CustodyTokens([]) }));
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const key = `${method} ${path}`;
        assert.ok(op.operationId && !ids.has(op.operationId), `${key}: a unique operationId`);
        ids.add(op.operationId);
        assert.ok(Array.isArray(op.security), `${key}: security stated`);
        for (const [status, r] of Object.entries(op.responses)) {
          if (Number(status) < 400 || status === '431') continue; // 431: Node's HTTP server, before the app, with no body
          assert.ok(r.content?.['application/problem+json'], `${key} ${status}: a problem`);
          const codes = r.description.replace(/^problem: /, '').split(', ');
          for (const code of codes) {
            assert.ok((ALL_PROBLEM_CODES as readonly string[]).includes(code), `${key}: ${code} is a code`);
            assert.equal(String(problemStatus(code as never)), status, `${key}: ${code} answers ${status}`);
          }
        }
        if (path.startsWith('/v1/')) assert.ok(op.responses['401'] && op.responses['403'], `${key}: token problems documented`);
      }
    }
    assert.ok(doc.components.schemas.Problem && doc.components.schemas.Entry && doc.components.schemas.CustodyAddress);
  } finally {
    await db.close();
  }
});

test("a module's route joins the document; a route without its description is caught", async () => {
  const db = await openLedgerDb();
  try {
    const described: CustodyModule = {
      name: 'demo',
      routes: (app, r) => app.get('/v1/demo', r.readers, (c) => c.json({ ok: true })),
      paths: { '/v1/demo': { get: { operationId: 'demo', security: [{ bearer: ['reader'] }], responses: { '200': { description: 'ok' } } } } },
    };
    const a = await describe(createCustodyApp({ db, tokens: new CustodyTokens([]), modules: [described] }));
    assert.deepEqual(a.served, a.described);
    assert.ok(a.described.includes('GET /v1/demo'));
    const undescribed: CustodyModule = { name: 'silent', routes: (app, r) => app.get('/v1/silent', r.readers, (c) => c.json({})) };
    const b = await describe(createCustodyApp({ db, tokens: new CustodyTokens([]), modules: [undescribed] }));
    assert.notDeepEqual(b.served, b.described);
    assert.deepEqual(
      b.served.filter((k) => !b.described.includes(k)),
      ['GET /v1/silent'],
    );
  } finally {
    await db.close();
  }
});
