// What a custody address holds on chain at one block: the native balance (eth_getBalance) and each
// watched token's ERC-20 `balanceOf`, both read at that block number so every figure of a
// reconciliation comes from the same state of the chain. A token with no code at that block (deployed
// later) holds nothing for anyone there: its balances read as zero.
import { BaseError, ContractFunctionZeroDataError, erc20Abi, type PublicClient } from 'viem';
import { erc20Asset, nativeAsset } from './assets.js';

export interface AssetOnChain {
  asset: string;
  /** The token contract, or null for the native coin. */
  token: string | null;
}

/** The native asset then the tokens, each once, in the order given. */
export function chainAssets(chainId: bigint, tokens: readonly string[]): AssetOnChain[] {
  const out: AssetOnChain[] = [{ asset: nativeAsset(chainId), token: null }];
  for (const t of tokens) {
    const asset = erc20Asset(chainId, t);
    if (!out.some((a) => a.asset === asset)) out.push({ asset, token: t.toLowerCase() });
  }
  return out;
}

export async function balanceAt(client: PublicClient, address: string, what: AssetOnChain, block: bigint): Promise<bigint> {
  const holder = address as `0x${string}`;
  if (what.token === null) return client.getBalance({ address: holder, blockNumber: block });
  try {
    return await client.readContract({ address: what.token as `0x${string}`, abi: erc20Abi, functionName: 'balanceOf', args: [holder], blockNumber: block });
  } catch (err) {
    if (err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionZeroDataError) !== null) return 0n;
    throw err;
  }
}

/** Runs `fn` over `items` with at most `width` calls in flight; results in the items' order. */
export async function mapLimited<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
