// GET /v1/ledger/balances: the four balance states of every account matching the filters (customer,
// account kind, asset), as decimal strings.
import { isAssetId } from '../../ledger/assets.js';
import { ACCOUNT_KINDS } from '../../ledger/kinds.js';
import { findBalances } from '../../ledger/queries.js';
import type { CustodyModule } from '../module.js';
import { AUTH_PROBLEMS, bearer, ok, problems, queryParam, ref } from '../openapi.js';
import { ProblemError } from '../problem.js';
import { balanceView } from '../views.js';
import { queryEnum, queryText } from './context.js';

export const OWNER_RE = /^[A-Za-z0-9._@-]{1,128}$/;

export const balancesModule: CustodyModule = {
  name: 'ledger.balances',
  routes(app, r) {
    app.get('/v1/ledger/balances', r.readers, async (c) => {
      const customer = queryText(c, 'customer', OWNER_RE);
      const kind = queryEnum(c, 'kind', ACCOUNT_KINDS);
      const asset = c.req.query('asset');
      if (asset !== undefined && !isAssetId(asset))
        throw new ProblemError('bad_request', 'query parameter "asset" is not an asset id ("<chainId>:native" or "<chainId>:erc20:0x<token in lower case>")', { field: 'asset' });
      if (customer !== undefined && kind !== undefined && kind !== 'customer')
        throw new ProblemError('bad_request', '"customer" selects customer accounts: leave "kind" out or make it customer', { field: 'kind' });
      const balances = await findBalances(r.db, { ...(customer !== undefined ? { kind: 'customer' as const, owner: customer } : {}), ...(kind ? { kind } : {}), ...(asset ? { asset } : {}) });
      return c.json({ balances: balances.map(balanceView) });
    });
  },
  paths: {
    '/v1/ledger/balances': {
      get: {
        operationId: 'listBalances',
        summary: 'Balances of the accounts matching every given filter (all four states)',
        security: bearer('reader', 'operator'),
        parameters: [
          queryParam('customer', "a customer id: that customer's accounts"),
          queryParam('kind', 'an account kind', { type: 'string', enum: [...ACCOUNT_KINDS] }),
          queryParam('asset', 'an asset id'),
        ],
        responses: {
          '200': ok('the balances, by account id', { type: 'object', required: ['balances'], properties: { balances: { type: 'array', items: ref('Balance') } } }),
          ...problems('bad_request', ...AUTH_PROBLEMS),
        },
      },
    },
  },
};
