// GET /v1/ledger/accounts/{accountId}: one account's four balance states. The id is kind/owner/asset,
// so a client percent-encodes its slashes (customer%2Falice%2F1%3Anative).
import { ACCOUNT_KINDS, type AccountKind } from '../../ledger/kinds.js';
import { accountBalance } from '../../ledger/balances.js';
import { LedgerError } from '../../ledger/errors.js';
import type { CustodyModule } from '../module.js';
import { AUTH_PROBLEMS, bearer, ok, pathParam, problems, ref } from '../openapi.js';
import { ProblemError } from '../problem.js';
import { balanceView } from '../views.js';

/** The parts of an account id, or a 400 problem. */
export function parseAccountId(id: string, field: string): { kind: AccountKind; owner: string; asset: string } {
  const m = /^([a-z]+)\/([^/]+)\/([^/]+)$/.exec(id);
  if (!m || !(ACCOUNT_KINDS as readonly string[]).includes(m[1]!)) throw new ProblemError('bad_request', `"${field}" is not an account id (kind/owner/asset)`, { field });
  return { kind: m[1] as AccountKind, owner: m[2]!, asset: m[3]! };
}

export const accountsModule: CustodyModule = {
  name: 'ledger.accounts',
  routes(app, r) {
    app.get('/v1/ledger/accounts/:accountId', r.readers, async (c) => {
      const id = c.req.param('accountId');
      const b = await accountBalance(r.db, parseAccountId(id, 'accountId'));
      if (b === null) throw new LedgerError('unknown_account', 'no such account', { account: id });
      return c.json(balanceView(b));
    });
  },
  paths: {
    '/v1/ledger/accounts/{accountId}': {
      get: {
        operationId: 'getAccount',
        summary: "One account's balances (all four states)",
        security: bearer('reader', 'operator'),
        parameters: [pathParam('accountId', 'kind/owner/asset, percent-encoded (customer%2Falice%2F1%3Anative)')],
        responses: { '200': ok('the account', ref('Balance')), ...problems('bad_request', 'bad_entry', 'unknown_account', ...AUTH_PROBLEMS) },
      },
    },
  },
};
