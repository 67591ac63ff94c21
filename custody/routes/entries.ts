// GET /v1/ledger/entries: journal entries in id order, filtered by account, kind and trace id, one
// page at a time: `after` is the cursor (an entry id; the page holds the entries above it) and
// `next` in the answer is the cursor of the following page, null on the last. GET /v1/ledger/entries/{id}.
import { ENTRY_KINDS } from '../../ledger/transitions.js';
import { getEntry } from '../../ledger/journal.js';
import { LedgerError } from '../../ledger/errors.js';
import { findEntries } from '../../ledger/queries.js';
import type { CustodyModule } from '../module.js';
import { AUTH_PROBLEMS, bearer, decimal, ok, pathParam, problems, queryParam, ref } from '../openapi.js';
import { ProblemError } from '../problem.js';
import { entryView } from '../views.js';
import { listPage, queryEnum, queryInt, queryText } from './context.js';
import { parseAccountId } from './accounts.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const TRACE_RE = /^[\x21-\x7e]{1,200}$/;

export const entriesModule: CustodyModule = {
  name: 'ledger.entries',
  routes(app, r) {
    app.get('/v1/ledger/entries', r.readers, async (c) => {
      const account = c.req.query('account');
      if (account !== undefined) parseAccountId(account, 'account');
      const kind = queryEnum(c, 'kind', ENTRY_KINDS);
      const traceId = queryText(c, 'traceId', TRACE_RE);
      const after = queryInt(c, 'after', Number.MAX_SAFE_INTEGER) ?? 0;
      const page = await listPage(
        c,
        MAX_LIMIT,
        DEFAULT_LIMIT,
        (limit) => findEntries(r.db, { after, limit, ...(account ? { account } : {}), ...(kind ? { kind } : {}), ...(traceId ? { traceId } : {}) }),
        (e) => String(e.id),
      );
      return c.json({ entries: page.items.map(entryView), next: page.next });
    });
    app.get('/v1/ledger/entries/:id', r.readers, async (c) => {
      const raw = c.req.param('id');
      if (!/^[1-9][0-9]{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new ProblemError('bad_request', 'the entry id is a positive integer', { field: 'id' });
      const e = await getEntry(r.db, Number(raw));
      if (e === null) throw new LedgerError('not_found', 'no such entry', { entryId: Number(raw) });
      return c.json(entryView(e));
    });
  },
  paths: {
    '/v1/ledger/entries': {
      get: {
        operationId: 'listEntries',
        summary: 'Journal entries in id order, filtered, a page at a time',
        security: bearer('reader', 'operator'),
        parameters: [
          queryParam('account', 'an account id (kind/owner/asset): entries with a line on it'),
          queryParam('kind', 'an entry kind', { type: 'string', enum: [...ENTRY_KINDS] }),
          queryParam('traceId', 'the trace id of a withdrawal or deposit'),
          queryParam('after', 'the cursor: entries with an id above it (the previous page’s `next`); 0 or absent from the start', { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' }),
          queryParam('limit', `page size, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`, { type: 'integer', minimum: 1, maximum: MAX_LIMIT }),
        ],
        responses: {
          '200': ok('a page of entries and the next cursor (null on the last page)', {
            type: 'object',
            required: ['entries', 'next'],
            properties: { entries: { type: 'array', items: ref('Entry') }, next: { oneOf: [decimal, { type: 'null' }] } },
          }),
          ...problems('bad_request', ...AUTH_PROBLEMS),
        },
      },
    },
    '/v1/ledger/entries/{id}': {
      get: {
        operationId: 'getEntry',
        summary: 'One journal entry with its lines',
        security: bearer('reader', 'operator'),
        parameters: [pathParam('id', 'the entry id', { type: 'string', pattern: '^[1-9][0-9]{0,15}$' })],
        responses: { '200': ok('the entry', ref('Entry')), ...problems('bad_request', 'not_found', ...AUTH_PROBLEMS) },
      },
    },
  },
};
