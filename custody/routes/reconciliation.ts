// Reconciliation: a periodic job per configured chain (`reconcile:<chainId>`, every
// `jobs.reconcileEveryMs`) that catches the chain's deposits and sweeps up to its final block F and
// reconciles at F (custody/chain-runtime.ts); GET /v1/reconciliations (runs, newest last, one page at
// a time), GET /v1/reconciliations/{id} (JSON, or the Markdown table with `Accept: text/markdown` or
// `?format=markdown`), POST /v1/reconciliations (operator: run now); the exception queue
// (GET /v1/reconciliation-exceptions, POST /v1/reconciliation-exceptions/{id}/resolve: the token's name
// is who resolved it) and the ledger's event outbox (GET /v1/ledger/events after an id).
import { LedgerError } from '../../ledger/errors.js';
import { EVENT_TYPES, listEvents } from '../../ledger/events.js';
import { exceptionJson, listExceptions, resolveException, type ExceptionStatus } from '../../ledger/exceptions.js';
import { reconciliationJson, reconciliationMarkdown } from '../../ledger/reconcile-report.js';
import { EXCEPTION_KINDS, type Reconciliation } from '../../ledger/reconcile-types.js';
import { getReconciliation, listReconciliations } from '../../ledger/reconciliations.js';
import { chainRuntimes, runtimeOf } from '../chain-runtime.js';
import type { CustodyModule } from '../module.js';
import { AUTH_PROBLEMS, bearer, decimal, ok, pathParam, problems, queryParam, ref } from '../openapi.js';
import { ProblemError } from '../problem.js';
import { bodyText, jsonBody, listPage, pageLimit, queryEnum, queryText, type Ctx } from './context.js';
import { ADDRESS_RE, AFTER_RE, CHAIN_RE, ID_RE, serviceOf, settingsOf } from './ledger-ops.js';

const ASSET_RE = /^[1-9][0-9]{0,19}:(native|erc20:0x[0-9a-f]{40})$/;
const EXCEPTION_STATUSES: readonly ExceptionStatus[] = ['open', 'resolved'];

const summary = (r: Reconciliation) => ({ id: r.id, chainId: r.chainId.toString(), block: r.block.toString(), runAt: r.runAt, breakCount: r.breakCount, rowCount: r.rows.length });

function pathId(c: Ctx, what: string): number {
  const id = c.req.param('id') ?? '';
  if (!ID_RE.test(id)) throw new ProblemError('bad_request', `a ${what} id is a positive integer`, { field: 'id' });
  return Number(id);
}

/** Markdown when asked by `?format=markdown` or an Accept header preferring text/markdown. */
function wantsMarkdown(c: Ctx): boolean {
  const format = queryEnum(c, 'format', ['json', 'markdown'] as const);
  if (format !== undefined) return format === 'markdown';
  return /\btext\/markdown\b/i.test(c.req.header('Accept') ?? '');
}

const runSchema = {
  type: 'object',
  required: ['id', 'chainId', 'block', 'runAt', 'breakCount', 'rows'],
  properties: {
    id: { type: 'integer' },
    chainId: decimal,
    block: decimal,
    runAt: { type: 'string', format: 'date-time' },
    breakCount: { type: 'integer' },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['address', 'role', 'asset', 'chain', 'ledger', 'difference', 'status', 'pending'],
        properties: {
          address: { type: 'string' },
          role: { type: 'string' },
          customer: { type: 'string' },
          asset: { type: 'string' },
          chain: decimal,
          ledger: decimal,
          difference: decimal,
          status: { type: 'string', enum: ['ok', 'break'] },
          pending: { type: 'array', items: { type: 'object', properties: { accountId: { type: 'string' }, state: { type: 'string' }, amount: decimal } } },
          exception: { type: 'object', properties: { id: { type: 'integer' }, kind: { type: 'string', enum: [...EXCEPTION_KINDS] }, entryId: { type: 'integer' } } },
        },
      },
    },
  },
};

const exceptionSchema = {
  type: 'object',
  required: ['id', 'chainId', 'address', 'asset', 'amount', 'block', 'reconciliationId', 'kind', 'entryId', 'status', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    chainId: decimal,
    address: { type: 'string' },
    asset: { type: 'string' },
    amount: { ...decimal, description: 'the size of the difference; the kind gives its direction' },
    block: decimal,
    reconciliationId: { type: 'integer' },
    kind: { type: 'string', enum: [...EXCEPTION_KINDS] },
    entryId: { type: 'integer', description: 'the suspense entry that absorbed the difference' },
    status: { type: 'string', enum: [...EXCEPTION_STATUSES] },
    resolvedBy: { type: ['string', 'null'], description: 'the name of the token that resolved it' },
    resolutionNote: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    resolvedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

export const reconciliationModule: CustodyModule = {
  name: 'reconciliation',
  routes(app, r) {
    app.get('/v1/reconciliations', r.readers, async (c) => {
      const chainId = queryText(c, 'chainId', CHAIN_RE);
      const after = queryText(c, 'after', AFTER_RE);
      const page = await listPage(
        c,
        500,
        50,
        (limit) => listReconciliations(r.db, { limit, ...(chainId ? { chainId: BigInt(chainId) } : {}), ...(after ? { afterId: Number(after) } : {}) }),
        (run) => String(run.id),
      );
      return c.json({ reconciliations: page.items.map(summary), next: page.next });
    });
    app.get('/v1/reconciliations/:id', r.readers, async (c) => {
      const id = pathId(c, 'reconciliation');
      const markdown = wantsMarkdown(c);
      const run = await getReconciliation(r.db, id);
      if (run === null) throw new LedgerError('not_found', 'no such reconciliation', { reconciliationId: id });
      if (markdown) return c.body(reconciliationMarkdown(run), 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
      return c.json(reconciliationJson(run));
    });
    app.post('/v1/reconciliations', r.operators, async (c) => {
      const b = await jsonBody(c);
      for (const k of Object.keys(b)) if (k !== 'chainId') throw new ProblemError('bad_request', `unknown member "${k}"`, { field: k });
      const chainId = bodyText(b, 'chainId', CHAIN_RE, true);
      const svc = serviceOf(r.service);
      const runtimes = chainId === undefined ? [...chainRuntimes(svc).values()] : [runtimeOf(svc, BigInt(chainId))];
      if (runtimes.length === 0) throw new ProblemError('not_configured', 'no chain is configured', { field: 'chains' });
      const runs: Reconciliation[] = [];
      for (const rt of runtimes) runs.push(await rt.reconcile());
      return c.json({ reconciliations: runs.map(reconciliationJson) }, 201);
    });
    app.get('/v1/reconciliation-exceptions', r.readers, async (c) => {
      const status = queryEnum(c, 'status', EXCEPTION_STATUSES);
      const kind = queryEnum(c, 'kind', EXCEPTION_KINDS);
      const chainId = queryText(c, 'chainId', CHAIN_RE);
      const address = queryText(c, 'address', ADDRESS_RE);
      const asset = queryText(c, 'asset', ASSET_RE);
      const reconciliationId = queryText(c, 'reconciliationId', ID_RE);
      const after = queryText(c, 'after', AFTER_RE);
      const limit = pageLimit(c, 500, 50);
      const page = await listExceptions(r.db, {
        limit,
        ...(status ? { status } : {}),
        ...(kind ? { kind } : {}),
        ...(chainId ? { chainId: BigInt(chainId) } : {}),
        ...(address ? { address } : {}),
        ...(asset ? { asset } : {}),
        ...(reconciliationId ? { reconciliationId: Number(reconciliationId) } : {}),
        ...(after ? { afterId: Number(after) } : {}),
      });
      return c.json({ exceptions: page.items.map(exceptionJson), next: page.nextAfterId === null ? null : String(page.nextAfterId) });
    });
    app.post('/v1/reconciliation-exceptions/:id/resolve', r.operators, async (c) => {
      const id = pathId(c, 'exception');
      const b = await jsonBody(c);
      for (const k of Object.keys(b)) if (k !== 'note') throw new ProblemError('bad_request', `unknown member "${k}"`, { field: k });
      if (typeof b.note !== 'string' || b.note.trim().length === 0 || b.note.length > 2000)
        throw new ProblemError('bad_request', 'a resolution note (1-2000 characters) is required', { field: 'note' });
      const e = await resolveException(r.db, id, c.get('caller').name, b.note);
      return c.json(exceptionJson(e));
    });
    app.get('/v1/ledger/events', r.readers, async (c) => {
      const after = Number(queryText(c, 'after', AFTER_RE) ?? '0');
      const limit = pageLimit(c, 1000, 100);
      const events = await listEvents(r.db, after, limit);
      return c.json({ events, next: String(events.length === 0 ? after : events[events.length - 1]!.id) });
    });
  },
  jobs(svc) {
    const every = settingsOf(svc).jobs.reconcileEveryMs;
    return [...chainRuntimes(svc).values()].map((rt) => ({
      name: `reconcile:${rt.chain.chainId}`,
      everyMs: every,
      run: async () => {
        await rt.reconcile();
      },
    }));
  },
  schemas: { Reconciliation: runSchema, ReconciliationException: exceptionSchema },
  paths: {
    '/v1/reconciliations': {
      get: {
        operationId: 'listReconciliations',
        summary: 'Reconciliation runs in id order (oldest first), without their rows, one page at a time',
        security: bearer('reader', 'operator'),
        parameters: [
          queryParam('chainId', 'only this chain'),
          queryParam('after', 'the cursor: `next` of the previous page'),
          queryParam('limit', '1 to 500, default 50', { type: 'integer', minimum: 1, maximum: 500 }),
        ],
        responses: {
          '200': ok('a page', {
            type: 'object',
            required: ['reconciliations', 'next'],
            properties: {
              reconciliations: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { id: { type: 'integer' }, chainId: decimal, block: decimal, runAt: { type: 'string' }, breakCount: { type: 'integer' }, rowCount: { type: 'integer' } },
                },
              },
              next: { type: ['string', 'null'] },
            },
          }),
          ...problems('bad_request', ...AUTH_PROBLEMS),
        },
      },
      post: {
        operationId: 'runReconciliation',
        summary: 'Reconcile now: one chain (chainId) or every configured chain, each at its final block after its deposits and sweeps are posted up to it',
        security: bearer('operator'),
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { chainId: decimal } } } } },
        responses: {
          '201': ok('the runs', { type: 'object', required: ['reconciliations'], properties: { reconciliations: { type: 'array', items: ref('Reconciliation') } } }),
          ...problems('bad_request', 'not_final', 'chain_mismatch', 'not_configured', ...AUTH_PROBLEMS),
        },
      },
    },
    '/v1/reconciliations/{id}': {
      get: {
        operationId: 'getReconciliation',
        summary: 'One run with its rows: JSON, or the Markdown table (Accept: text/markdown, or ?format=markdown)',
        security: bearer('reader', 'operator'),
        parameters: [pathParam('id', 'the run id'), queryParam('format', 'json (default) or markdown', { type: 'string', enum: ['json', 'markdown'] })],
        responses: {
          '200': { description: 'the run', content: { 'application/json': { schema: ref('Reconciliation') }, 'text/markdown': { schema: { type: 'string' } } } },
          ...problems('bad_request', 'not_found', ...AUTH_PROBLEMS),
        },
      },
    },
    '/v1/reconciliation-exceptions': {
      get: {
        operationId: 'listReconciliationExceptions',
        summary: 'The exception queue in id order, filtered, one page at a time',
        security: bearer('reader', 'operator'),
        parameters: [
          queryParam('status', 'open or resolved', { type: 'string', enum: [...EXCEPTION_STATUSES] }),
          queryParam('kind', 'unknown_inflow or missing_outflow', { type: 'string', enum: [...EXCEPTION_KINDS] }),
          queryParam('chainId', 'only this chain'),
          queryParam('address', 'only this custody address'),
          queryParam('asset', 'only this asset'),
          queryParam('reconciliationId', 'only the breaks of this run'),
          queryParam('after', 'the cursor: `next` of the previous page'),
          queryParam('limit', '1 to 500, default 50', { type: 'integer', minimum: 1, maximum: 500 }),
        ],
        responses: {
          '200': ok('a page', {
            type: 'object',
            required: ['exceptions', 'next'],
            properties: { exceptions: { type: 'array', items: ref('ReconciliationException') }, next: { type: ['string', 'null'] } },
          }),
          ...problems('bad_request', ...AUTH_PROBLEMS),
        },
      },
    },
    '/v1/reconciliation-exceptions/{id}/resolve': {
      post: {
        operationId: 'resolveReconciliationException',
        summary: 'Resolve an open exception with a note; the token’s name is recorded as who resolved it (posts nothing)',
        security: bearer('operator'),
        parameters: [pathParam('id', 'the exception id')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['note'], additionalProperties: false, properties: { note: { type: 'string' } } } } } },
        responses: {
          '200': ok('resolved', ref('ReconciliationException')),
          ...problems('bad_request', 'bad_entry', 'not_found', 'already_resolved', ...AUTH_PROBLEMS),
        },
      },
    },
    '/v1/ledger/events': {
      get: {
        operationId: 'listLedgerEvents',
        summary: 'The ledger’s event outbox (reconciliation breaks, resolutions) after an id, in commit order',
        security: bearer('reader', 'operator'),
        parameters: [queryParam('after', 'the last event id seen (default 0)'), queryParam('limit', '1 to 1000, default 100', { type: 'integer', minimum: 1, maximum: 1000 })],
        responses: {
          '200': ok('events', {
            type: 'object',
            required: ['events', 'next'],
            properties: {
              events: {
                type: 'array',
                items: { type: 'object', properties: { id: { type: 'integer' }, type: { type: 'string', enum: [...EVENT_TYPES] }, payload: { type: 'object' }, createdAt: { type: 'string' } } },
              },
              next: { type: 'string', description: 'pass as `after` for the next events' },
            },
          }),
          ...problems('bad_request', ...AUTH_PROBLEMS),
        },
      },
    },
  },
};
