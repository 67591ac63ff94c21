// HD wallets (docs/hd-wallets.md): create one and derive keys into the token (admin); the account-level
// extended public key for the ledger's deposit addresses (admin or auditor). The bridge only forwards:
// the appliance checks the admin and audits each call.
import { hdCreateParams, hdDeriveParams } from '../admin-params.js';
import { jsonOptUint } from '../json-cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import type { BridgeApp, RouteContext } from './context.js';

export function hdWalletRoutes(app: BridgeApp, r: RouteContext): void {
  app.post('/v1/hd-wallets', r.requireScope('admin'), async (c) => r.forward(c, 'hd.create', hdCreateParams(await r.body(c), c.get('principal').id), 201));
  app.post('/v1/hd-wallets/:walletId/keys', r.requireScope('admin'), async (c) => r.forward(c, 'hd.derive', hdDeriveParams(r.param(c, 'walletId'), await r.body(c), c.get('principal').id), 201));
  app.get('/v1/hd-wallets/:walletId/accounts/:account/xpub', r.requireScope('admin', 'auditor'), async (c) => {
    const account = jsonOptUint(r.param(c, 'account'), 'account');
    if (account === undefined) throw new ApplianceError('bad_request', 'missing path parameter "account"', { field: 'account' });
    return r.forward(c, 'hd.xpub', { requester: c.get('principal').id, walletId: r.param(c, 'walletId'), account });
  });
}
