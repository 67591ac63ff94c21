// Reading deposits off a chain: for a range of blocks, each block's number, hash and parent hash, and
// the inflows into registered deposit addresses it holds: a transaction whose `to` is a deposit
// address, with a value, that succeeded (native coin); and the `Transfer` logs of the watched ERC-20
// tokens whose recipient is a deposit address. Inflows sent by a registered custody address (a gas
// top-up from the hot address, a sweep) are reported apart, as skipped: they are the custody moving
// its own funds, not a customer's deposit. Pure reading: nothing here writes to the ledger.
import { parseAbiItem, type PublicClient } from 'viem';
import { erc20Asset, nativeAsset } from './assets.js';
import type { CustodyAddress } from './custody-addresses.js';

const TRANSFER = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');

/** `logIndex` for the transaction's own value, beside the logs' indexes (0 and up). */
export const NATIVE_MARKER = -1;

export interface SeenTransfer {
  txHash: string;
  /** The Transfer log's index in the block, or NATIVE_MARKER. */
  logIndex: number;
  from: string;
  to: string;
  asset: string;
  amount: bigint;
  /** The deposit address's customer. */
  customer: string;
}

export interface ScannedBlock {
  number: bigint;
  hash: string;
  parentHash: string;
  deposits: SeenTransfer[];
  /** Inflows into deposit addresses from another custody address (not credited). */
  skipped: SeenTransfer[];
}

export interface ScanInput {
  chainId: bigint;
  /** Watched ERC-20 contracts (any case). */
  tokens: string[];
  /** The chain's registered custody addresses, by lower-case address. */
  addresses: Map<string, CustodyAddress>;
  fromBlock: bigint;
  toBlock: bigint;
}

/**
 * The blocks from `fromBlock` to `toBlock` in order, with their deposits. Stops early (returns fewer
 * blocks) when a log's block hash is not the hash of the block read at its height: the chain changed
 * while it was read, and the watcher's next step sorts it out.
 */
export async function scanBlocks(client: PublicClient, input: ScanInput): Promise<ScannedBlock[]> {
  if (input.toBlock < input.fromBlock) return [];
  const tokens = input.tokens.map((t) => t.toLowerCase() as `0x${string}`);
  const logs = tokens.length === 0 ? [] : await client.getLogs({ address: tokens, event: TRANSFER, strict: true, fromBlock: input.fromBlock, toBlock: input.toBlock });
  const logsByBlock = new Map<bigint, typeof logs>();
  for (const log of logs) {
    if (log.blockNumber === null) continue;
    logsByBlock.set(log.blockNumber, [...(logsByBlock.get(log.blockNumber) ?? []), log]);
  }

  const out: ScannedBlock[] = [];
  for (let n = input.fromBlock; n <= input.toBlock; n++) {
    const block = await client.getBlock({ blockNumber: n, includeTransactions: true });
    if (block.hash === null) break;
    const scanned: ScannedBlock = { number: n, hash: block.hash.toLowerCase(), parentHash: block.parentHash.toLowerCase(), deposits: [], skipped: [] };
    let consistent = true;

    for (const tx of block.transactions) {
      if (tx.to === null || tx.value <= 0n) continue;
      const to = tx.to.toLowerCase();
      const owner = input.addresses.get(to);
      if (owner?.role !== 'deposit') continue;
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      if (receipt.blockHash.toLowerCase() !== scanned.hash) {
        consistent = false;
        break;
      }
      if (receipt.status !== 'success') continue;
      classify(scanned, input.addresses, {
        txHash: tx.hash.toLowerCase(),
        logIndex: NATIVE_MARKER,
        from: tx.from.toLowerCase(),
        to,
        asset: nativeAsset(input.chainId),
        amount: tx.value,
        customer: owner.customer!,
      });
    }

    for (const log of logsByBlock.get(n) ?? []) {
      if (log.blockHash?.toLowerCase() !== scanned.hash) {
        consistent = false;
        break;
      }
      const to = log.args.to.toLowerCase();
      const owner = input.addresses.get(to);
      if (owner?.role !== 'deposit' || log.args.value <= 0n || log.transactionHash === null || log.logIndex === null) continue;
      classify(scanned, input.addresses, {
        txHash: log.transactionHash.toLowerCase(),
        logIndex: log.logIndex,
        from: log.args.from.toLowerCase(),
        to,
        asset: erc20Asset(input.chainId, log.address),
        amount: log.args.value,
        customer: owner.customer!,
      });
    }
    if (!consistent) break;
    out.push(scanned);
  }
  return out;
}

function classify(block: ScannedBlock, addresses: Map<string, CustodyAddress>, t: SeenTransfer): void {
  if (addresses.has(t.from)) block.skipped.push(t);
  else block.deposits.push(t);
}
