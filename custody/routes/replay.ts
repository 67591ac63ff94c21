// GET /v1/ledger/replay: every balance recomputed from the journal alone, compared with the stored
// balances. `differences` is empty when the ledger is consistent; an entry posting would have refused
// is reported as `corrupt` (its id and why) rather than as an error, since finding it is the point.
import { LedgerError } from '../../ledger/errors.js';
import { checkReplay, type ReplayCheck } from '../../ledger/replay.js';
import type { Queryable } from '../../ledger/db.js';
import type { CustodyModule } from '../module.js';
import { AUTH_PROBLEMS, bearer, decimal, ok, problems } from '../openapi.js';

export interface ReplayReport {
  consistent: boolean;
  entries: number;
  differences: { accountId: string; state: string; stored: string; replayed: string }[];
  corrupt: { entryId: number | null; detail: string } | null;
}

/** The replay check as the API and the CLI report it. */
export async function replayReport(db: Queryable): Promise<ReplayReport> {
  let check: ReplayCheck;
  try {
    check = await checkReplay(db);
  } catch (err) {
    if (!(err instanceof LedgerError) || err.code !== 'corrupt') throw err;
    const entryId = typeof err.details?.entryId === 'number' ? err.details.entryId : null;
    return { consistent: false, entries: 0, differences: [], corrupt: { entryId, detail: err.message } };
  }
  const differences = check.differences.map((d) => ({ accountId: d.accountId, state: d.state, stored: d.stored.toString(), replayed: d.replayed.toString() }));
  return { consistent: differences.length === 0, entries: check.entries, differences, corrupt: null };
}

export const replayModule: CustodyModule = {
  name: 'ledger.replay',
  routes(app, r) {
    app.get('/v1/ledger/replay', r.readers, async (c) => c.json(await replayReport(r.db)));
  },
  paths: {
    '/v1/ledger/replay': {
      get: {
        operationId: 'replayLedger',
        summary: 'Recompute every balance from the journal and list where the stored balances differ (must be none)',
        security: bearer('reader', 'operator'),
        responses: {
          '200': ok('the replay report: consistent when differences is empty and no entry is corrupt', {
            type: 'object',
            required: ['consistent', 'entries', 'differences', 'corrupt'],
            properties: {
              consistent: { type: 'boolean' },
              entries: { type: 'integer', description: 'entries replayed' },
              differences: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['accountId', 'state', 'stored', 'replayed'],
                  properties: { accountId: { type: 'string' }, state: { type: 'string' }, stored: decimal, replayed: decimal },
                },
              },
              corrupt: {
                oneOf: [{ type: 'null' }, { type: 'object', required: ['entryId', 'detail'], properties: { entryId: { type: ['integer', 'null'] }, detail: { type: 'string' } } }],
                description: 'the first entry posting would have refused, when there is one',
              },
            },
          }),
          ...problems(...AUTH_PROBLEMS),
        },
      },
    },
  },
};
