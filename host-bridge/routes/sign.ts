// Signing requests (orchestrator): an EVM transaction or EIP-712 typed data, named by the caller's
// Idempotency-Key; the reply's status follows the decision (signed 200, pending 202, denied 403).
import type { CborMap } from '../../protocol/cbor.js';
import { jsonObject, jsonString, jsonToCbor, txFieldsFromJson } from '../json-cbor.js';
import type { BridgeApp, RouteContext } from './context.js';

export function signRoutes(app: BridgeApp, r: RouteContext): void {
  app.post('/v1/sign/evm-transaction', r.requireScope('orchestrator'), async (c) => {
    const requestId = r.idempotencyKey(c);
    const b = await r.body(c);
    return r.forward(c, 'sign.evm-tx', { requestId, requester: c.get('principal').id, keyId: jsonString(b.keyId, 'keyId', 128), tx: txFieldsFromJson(b.transaction) }, 'by-result');
  });
  app.post('/v1/sign/typed-data', r.requireScope('orchestrator'), async (c) => {
    const requestId = r.idempotencyKey(c);
    const b = await r.body(c);
    const keyId = jsonString(b.keyId, 'keyId', 128);
    const typedData = jsonToCbor(jsonObject(b.typedData, 'typedData'), 'typedData') as CborMap; // a JSON object becomes a CBOR map
    return r.forward(c, 'sign.typed-data', { requestId, requester: c.get('principal').id, keyId, typedData }, 'by-result');
  });
}
