// Signing requests (orchestrator): an EVM transaction or EIP-712 typed data, named by the caller's
// Idempotency-Key, with the requester's stamp when it signs its requests (host-bridge/sign-params.ts);
// the reply's status follows the decision (signed 200, pending 202, denied 403).
import { signEvmTxParams, signTypedDataParams } from '../sign-params.js';
import type { BridgeApp, RouteContext } from './context.js';

export function signRoutes(app: BridgeApp, r: RouteContext): void {
  app.post('/v1/sign/evm-transaction', r.requireScope('orchestrator'), async (c) => {
    const requestId = r.idempotencyKey(c);
    return r.forward(c, 'sign.evm-tx', signEvmTxParams(await r.body(c), c.get('principal').id, requestId), 'by-result');
  });
  app.post('/v1/sign/typed-data', r.requireScope('orchestrator'), async (c) => {
    const requestId = r.idempotencyKey(c);
    return r.forward(c, 'sign.typed-data', signTypedDataParams(await r.body(c), c.get('principal').id, requestId), 'by-result');
  });
}
