// POST /v1/rpc: an Ethereum JSON-RPC endpoint in the style of Web3Signer and Clef (docs/json-rpc.md),
// so tools that speak JSON-RPC (ethers' JsonRpcSigner, viem's JSON-RPC accounts, cast) sign through
// the appliance unchanged. The same bearer tokens and scope as the REST sign routes (orchestrator),
// the same parameter builders and appliance commands (host-bridge/jsonrpc/methods.ts); single
// requests and batches; the node named in the bridge's config answers read-only methods and receives
// what eth_sendTransaction signed.
import { ApplianceError } from '../../protocol/errors.js';
import { ERROR_STATUS } from '../http-status.js';
import { parseIdempotencyKey } from '../idempotency-key.js';
import { bodyText } from '../request-body.js';
import { errorResponse, readBody, result, type RpcResponse } from '../jsonrpc/envelope.js';
import { dispatch, type RpcContext } from '../jsonrpc/methods.js';
import { nodeClient } from '../jsonrpc/node-client.js';
import { RPC_ERROR, RpcError, toRpcError } from '../jsonrpc/rpc-errors.js';
import type { BridgeApp, RouteContext } from './context.js';

export interface JsonRpcConfig {
  /** The Ethereum node's JSON-RPC URL (http or https): read-only methods, filling eth_sendTransaction, broadcasting. Absent: those answer -32002. */
  nodeUrl?: string;
  /** The fetch used to reach the node (tests may count calls). */
  fetch?: typeof fetch;
}

export function jsonRpcRoutes(app: BridgeApp, r: RouteContext, config: JsonRpcConfig = {}): void {
  const node = config.nodeUrl ? nodeClient(config.nodeUrl, config.fetch) : undefined;
  const orchestrator = r.requireScope('orchestrator');
  app.post('/v1/rpc', async (c) => {
    // The token and scope check of the REST routes; its refusal answers as a JSON-RPC error, at the REST status (401, 403, 503).
    try {
      await orchestrator(c, async () => {});
    } catch (e) {
      if (!(e instanceof ApplianceError)) throw e;
      return c.json(errorResponse(null, toRpcError(e)), ERROR_STATUS[e.code]);
    }
    let body: unknown;
    try {
      body = JSON.parse(await bodyText(c));
    } catch (e) {
      if (e instanceof ApplianceError) throw e; // body_too_large: the bridge's 413
      return c.json(errorResponse(null, new RpcError(RPC_ERROR.parseError, 'the body is not valid JSON')));
    }
    const { batch, calls } = readBody(body);
    const given = c.req.header('Idempotency-Key');
    const header = parseIdempotencyKey(given); // "abc" (a structured-field string) names the key abc
    const refuse = (message: string) => c.json(errorResponse(null, new RpcError(RPC_ERROR.invalidRequest, message)));
    if (given !== undefined && header === undefined) return refuse('an Idempotency-Key header must be 1-128 characters [A-Za-z0-9._:-], bare or quoted');
    if (header !== undefined && batch) return refuse('an Idempotency-Key header names one request: send that call alone, not in a batch');
    const ctx: RpcContext = { c, r, principal: c.get('principal').id, idempotencyHeader: header, node };
    const out: RpcResponse[] = [];
    // In order, one at a time: a batch's signing requests reach the appliance as listed.
    for (const call of calls) {
      if ('error' in call) out.push(errorResponse(call.id, call.error));
      else if (call.notification)
        continue; // a notification is not run: nothing is signed that no one reads
      else {
        try {
          out.push(result(call.id, await dispatch(ctx, call)));
        } catch (e) {
          out.push(errorResponse(call.id, toRpcError(e)));
        }
      }
    }
    if (out.length === 0) return c.body(null, 204);
    return c.json(batch ? out : out[0]);
  });
}
