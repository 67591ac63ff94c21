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
 * The blocks from `fromBlock` to `toBlock` in order, with their deposits. The blocks are read first,
 * then the logs of the whole range; the result stops early (fewer blocks) where the chain changed
 * while it was read: a block whose parent is not the block read below it, or a log or receipt whose
 * block hash is not the hash read at its height. The watcher's next step sorts that out. (Logs read
 * after the blocks cannot miss a deposit of a block kept: if the block changed in between, either its
 * new logs carry another hash, or the block kept is an orphan the next reorg check undoes.)
 */
export async function scanBlocks(client: PublicClient, input: ScanInput): Promise<ScannedBlock[]> {
  if (input.toBlock < input.fromBlock) return [];
  const read: { block: Awaited<ReturnType<typeof readBlock>>; scanned: ScannedBlock }[] = [];
  for (let n = input.fromBlock; n <= input.toBlock; n++) {
    const block = await readBlock(client, n);
    if (block.hash === null) break;
    const scanned: ScannedBlock = { number: n, hash: block.hash.toLowerCase(), parentHash: block.parentHash.toLowerCase(), deposits: [], skipped: [] };
    const below = read[read.length - 1];
    if (below !== undefined && below.scanned.hash !== scanned.parentHash) break;
    read.push({ block, scanned });
  }
  if (read.length === 0) return [];
  const last = read[read.length - 1]!.scanned.number;
  let keep = read.length;
  const cut = (n: bigint) => {
    keep = Math.min(keep, Number(n - input.fromBlock));
  };

  for (const { block, scanned } of read) {
    for (const tx of block.transactions) {
      if (scanned.number - input.fromBlock >= keep) break;
      if (tx.to === null || tx.value <= 0n) continue;
      const to = tx.to.toLowerCase();
      const owner = input.addresses.get(to);
      if (owner?.role !== 'deposit') continue;
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      if (receipt.blockHash.toLowerCase() !== scanned.hash) {
        cut(scanned.number);
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
  }

  const tokens = input.tokens.map((t) => t.toLowerCase() as `0x${string}`);
  const logs = tokens.length === 0 ? [] : await client.getLogs({ address: tokens, event: TRANSFER, strict: true, fromBlock: input.fromBlock, toBlock: last });
  for (const log of logs) {
    if (log.blockNumber === null || log.blockNumber < input.fromBlock || log.blockNumber > last) continue;
    const scanned = read[Number(log.blockNumber - input.fromBlock)]!.scanned;
    if (log.blockHash?.toLowerCase() !== scanned.hash) {
      cut(scanned.number);
      continue;
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
  return read.slice(0, keep).map((r) => r.scanned);
}

function readBlock(client: PublicClient, n: bigint) {
  return client.getBlock({ blockNumber: n, includeTransactions: true });
}

function classify(block: ScannedBlock, addresses: Map<string, CustodyAddress>, t: SeenTransfer): void {
  if (addresses.has(t.from)) block.skipped.push(t);
  else block.deposits.push(t);
}
