// The Ethereum node the bridge's JSON-RPC endpoint talks to (its config's `nodeUrl`): it reads the
// chain (chain id, nonce, gas estimate, fees, transactions and receipts) and broadcasts transactions
// the appliance signed. The node holds no key and is asked nothing about policy; its answers only
// fill what a transaction left out, and the appliance judges the result.
import { RPC_ERROR, RpcError } from './rpc-errors.js';

/** A JSON-RPC error the node answered. */
export class NodeRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
    this.name = 'NodeRpcError';
  }
}

export interface NodeClient {
  readonly url: string;
  /** The node's `result`, a NodeRpcError for its error object, an RpcError (unavailable) when it cannot be reached. */
  call(method: string, params: unknown[]): Promise<unknown>;
}

/** How long one node call may take before it is given up as unavailable. */
const NODE_TIMEOUT_MS = 30_000;

export function nodeClient(url: string, fetchFn: typeof fetch = fetch): NodeClient {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`the node URL must be http or https, not ${parsed.protocol}`);
  let next = 1;
  return {
    url,
    async call(method, params) {
      let body: unknown;
      try {
        const res = await fetchFn(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: next++, method, params }),
          signal: AbortSignal.timeout(NODE_TIMEOUT_MS),
        });
        body = await res.json();
      } catch {
        throw new RpcError(RPC_ERROR.unavailable, 'the Ethereum node did not answer', { code: 'node_unavailable' });
      }
      const o = (typeof body === 'object' && body !== null ? body : {}) as { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
      if (o.error) throw new NodeRpcError(typeof o.error.code === 'number' ? o.error.code : RPC_ERROR.serverError, String(o.error.message ?? 'node error'), o.error.data);
      if (!Object.hasOwn(o, 'result')) throw new RpcError(RPC_ERROR.unavailable, 'the Ethereum node answered no result', { code: 'node_unavailable' });
      return o.result;
    },
  };
}
