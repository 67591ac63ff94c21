// How the custody service reads a chain: one JSON-RPC endpoint per chain through viem's public client,
// the ERC-20 tokens it watches, and what "final" means there: the node's `finalized` (or `safe`) block
// tag, or a confirmation depth below the latest block for a node without those tags. Every part of the
// ledger that needs the final block (the chain watcher, sweeps, reconciliation) asks `finalBlock`, so
// they agree on it.
import { createPublicClient, http, type PublicClient } from 'viem';

export type Finality = { tag: 'finalized' | 'safe' } | { confirmations: number };

export interface ChainConfig {
  chainId: bigint;
  rpcUrl: string;
  finality: Finality;
  /** ERC-20 token contracts watched on this chain (0x, any case). */
  tokens: string[];
  /**
   * Deposit addresses derived from this HD account's xpub (ledger/hd-deposits.ts); absent: each
   * deposit address is a key the appliance generates (ledger/deposit-addresses.ts).
   */
  hdDeposits?: { walletId: string; account: number };
}

export function chainClient(cfg: Pick<ChainConfig, 'rpcUrl'>): PublicClient {
  return createPublicClient({ transport: http(cfg.rpcUrl, { retryCount: 0 }) });
}

/** The highest block the chain treats as final under `finality`; -1n while the chain is too short. */
export async function finalBlock(client: PublicClient, finality: Finality): Promise<bigint> {
  if ('tag' in finality) {
    const block = await client.getBlock({ blockTag: finality.tag });
    return block.number;
  }
  if (!Number.isSafeInteger(finality.confirmations) || finality.confirmations < 0) throw new RangeError('confirmations must be a non-negative integer');
  const latest = await client.getBlockNumber({ cacheTime: 0 });
  return latest - BigInt(finality.confirmations);
}
