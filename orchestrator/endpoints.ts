// The several RPC endpoints of one chain, as the broadcaster and the tracker use them: send a signed
// transaction to all of them, and ask each what it knows about a transaction hash. An endpoint that
// fails to answer is an `error` answer, never an exception: the quorum (rpc-quorum.ts) decides.
import { createPublicClient, http, type Hex, type PublicClient } from 'viem';
import type { TxAnswer } from './rpc-quorum.js';

export interface Endpoint {
  url: string;
  client: PublicClient;
}

export function endpoints(urls: readonly string[]): Endpoint[] {
  if (urls.length === 0) throw new RangeError('a chain needs at least one RPC endpoint');
  return urls.map((url) => ({ url, client: createPublicClient({ transport: http(url, { retryCount: 0, timeout: 5_000 }) }) }));
}

export interface SendResult {
  /** Endpoints that took the transaction (or already had it). */
  accepted: number;
  /** Endpoint url → the error it gave. */
  refused: Record<string, string>;
}

const ALREADY = /already known|known transaction|already imported|nonce too low/i;

/** Sends the raw transaction to every endpoint at once. "Already known" counts as accepted. */
export async function sendToAll(eps: readonly Endpoint[], raw: Hex): Promise<SendResult> {
  const out: SendResult = { accepted: 0, refused: {} };
  await Promise.all(
    eps.map(async (e) => {
      try {
        await e.client.request({ method: 'eth_sendRawTransaction', params: [raw] });
        out.accepted++;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (ALREADY.test(msg)) out.accepted++;
        else out.refused[e.url] = msg.split('\n')[0]!.slice(0, 200);
      }
    }),
  );
  return out;
}

/** What one endpoint knows of the transaction: a receipt, a mempool entry, nothing, or no answer. */
export async function askEndpoint(e: Endpoint, hash: Hex): Promise<TxAnswer> {
  try {
    const receipt = await e.client.request({ method: 'eth_getTransactionReceipt', params: [hash] });
    if (receipt !== null && receipt !== undefined && typeof receipt.blockHash === 'string') {
      return { kind: 'included', blockHash: receipt.blockHash.toLowerCase(), blockNumber: BigInt(receipt.blockNumber), status: receipt.status === '0x1' ? 'success' : 'reverted' };
    }
    const tx = await e.client.request({ method: 'eth_getTransactionByHash', params: [hash] });
    if (tx === null || tx === undefined) return { kind: 'absent' };
    return tx.blockHash === null ? { kind: 'pending' } : { kind: 'absent' };
  } catch {
    return { kind: 'error' };
  }
}

export async function askAll(eps: readonly Endpoint[], hash: Hex): Promise<TxAnswer[]> {
  return Promise.all(eps.map((e) => askEndpoint(e, hash)));
}

/** The chain's confirmed transaction count of `from` at `latest`, by the same quorum idea: the value a majority gives, or null. */
export async function confirmedNonce(eps: readonly Endpoint[], from: Hex): Promise<bigint | null> {
  const answers = await Promise.all(
    eps.map(async (e) => {
      try {
        return BigInt(await e.client.getTransactionCount({ address: from, blockTag: 'latest' }));
      } catch {
        return null;
      }
    }),
  );
  const votes = new Map<string, number>();
  for (const a of answers) if (a !== null) votes.set(a.toString(), (votes.get(a.toString()) ?? 0) + 1);
  for (const [v, n] of votes) if (n > eps.length / 2) return BigInt(v);
  return null;
}
