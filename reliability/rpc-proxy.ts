// A fault-injecting JSON-RPC proxy in front of a real node (anvil), so the orchestrator's broadcaster
// and tracker meet the faults of real endpoints: a send that is swallowed (answered with the hash, never
// forwarded), a send that is refused with a JSON-RPC error, receipts that come back null, an endpoint that disagrees about the block, or one that is
// down. Two or three of them in front of one anvil are the "several endpoints". Faults are switched at
// run time by the test or the chaos run; every request is counted by method.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { keccak256 } from 'viem';
import { freePort } from './anvil.js';

export interface ProxyFaults {
  /** eth_sendRawTransaction is answered with the transaction's hash and never forwarded. */
  dropSends: boolean;
  /** eth_sendRawTransaction is answered with a JSON-RPC error and never forwarded. */
  refuseSends: boolean;
  /** eth_getTransactionReceipt answers null. */
  nullReceipts: boolean;
  /** Receipts and transactions carry a block hash that is not the node's. */
  disagree: boolean;
  /** Every request fails with HTTP 503. */
  down: boolean;
}

export interface RpcProxy {
  url: string;
  faults: ProxyFaults;
  /** Requests seen, by JSON-RPC method. */
  counts: Map<string, number>;
  stop(): Promise<void>;
}

interface RpcRequest {
  jsonrpc: '2.0';
  id: unknown;
  method: string;
  params?: unknown[];
}

const NO_FAULTS: ProxyFaults = { dropSends: false, refuseSends: false, nullReceipts: false, disagree: false, down: false };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startRpcProxy(upstream: string, faults: Partial<ProxyFaults> = {}): Promise<RpcProxy> {
  const port = await freePort();
  const state: ProxyFaults = { ...NO_FAULTS, ...faults };
  const counts = new Map<string, number>();

  async function forward(r: RpcRequest): Promise<unknown> {
    const res = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(r) });
    return res.json();
  }

  async function one(r: RpcRequest): Promise<unknown> {
    counts.set(r.method, (counts.get(r.method) ?? 0) + 1);
    if (r.method === 'eth_sendRawTransaction' && state.dropSends) {
      const raw = (r.params?.[0] ?? '0x') as `0x${string}`;
      return { jsonrpc: '2.0', id: r.id, result: keccak256(raw) };
    }
    if (r.method === 'eth_sendRawTransaction' && state.refuseSends) return { jsonrpc: '2.0', id: r.id, error: { code: -32000, message: 'the endpoint refuses transactions (injected fault)' } };
    if (r.method === 'eth_getTransactionReceipt' && state.nullReceipts) return { jsonrpc: '2.0', id: r.id, result: null };
    const answer = (await forward(r)) as { result?: unknown };
    if (state.disagree && (r.method === 'eth_getTransactionReceipt' || r.method === 'eth_getTransactionByHash') && answer.result !== null && typeof answer.result === 'object') {
      const result = answer.result as Record<string, unknown>;
      if (typeof result.blockHash === 'string') return { ...answer, result: { ...result, blockHash: keccak256(result.blockHash as `0x${string}`) } };
    }
    return answer;
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (state.down) {
        res.writeHead(503).end();
        return;
      }
      try {
        const body = JSON.parse(await readBody(req)) as RpcRequest | RpcRequest[];
        const out = Array.isArray(body) ? await Promise.all(body.map(one)) : await one(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      } catch (err) {
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    faults: state,
    counts,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
