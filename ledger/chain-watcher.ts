// The chain watcher: for one chain and the ledger's database, `step()` brings the ledger up to the
// chain. It first compares the stored hashes of recent blocks with the chain's and undoes a reorg
// (chain-reorg.ts); then scans the blocks from its cursor up to the latest (deposit-scan.ts), posting
// each deposit's inclusion (Pending) and moving the cursor past each block once its deposits are
// posted; then posts the finality (Available, Settled) of every included deposit at or below the
// chain's final block (chain.ts finalBlock). Every write is idempotent, so a step repeated, a crash
// anywhere, or a new watcher on the same database never credits twice. `start`/`stop` run the steps
// in a loop through an injected scheduler (watch-loop.ts).
import type { PublicClient } from 'viem';
import { chainClient, finalBlock, type ChainConfig } from './chain.js';
import { chainHashAt, findReorg, undoAbove, type Reorg } from './chain-reorg.js';
import { listCustodyAddresses } from './custody-addresses.js';
import type { Db } from './db.js';
import { scanBlocks, type SeenTransfer } from './deposit-scan.js';
import { listDeposits, recordFinality, recordInclusion, type Deposit } from './deposits.js';
import { LedgerError } from './errors.js';
import { markScanned, pruneBelow, readCursor, setCursor, storedBlocks, storedHash } from './scan-cursor.js';
import { StepLoop, timerScheduler, type Scheduler } from './watch-loop.js';

export interface WatcherOptions {
  /** The first block to scan when the chain has no cursor yet (default 0). */
  startBlock?: bigint;
  /** At most this many blocks are scanned per step (default 500). */
  maxBlocksPerStep?: number;
  /** The chain's client (default: chainClient(chain)). */
  client?: PublicClient;
  scheduler?: Scheduler;
  /** Between the end of one step and the start of the next, in the loop (default 4000). */
  intervalMs?: number;
  onStep?: (r: StepResult) => void;
  onError?: (err: unknown) => void;
}

export interface StepResult {
  /** The reorg undone at the start of the step, if any. */
  reorg: Reorg | null;
  /** Deposits whose inclusion was reversed (their block left the chain). */
  removed: Deposit[];
  /** The blocks scanned: from, to (inclusive); to < from when there was nothing new. */
  scanned: { from: bigint; to: bigint };
  /** Deposits credited Pending in this step. */
  included: Deposit[];
  /** Inflows into deposit addresses from another custody address, not credited. */
  skipped: SeenTransfer[];
  /** Transfers seen again in a new block after a reorg deeper than finality: final already, not credited again. */
  alreadyFinal: Deposit[];
  /** The chain's final block under the configured finality. */
  finalBlock: bigint;
  /** Deposits made Available (customer) and Settled (custody address) in this step. */
  finalized: Deposit[];
}

export class ChainWatcher {
  readonly chain: ChainConfig;
  private readonly client: PublicClient;
  private readonly startBlock: bigint;
  private readonly maxBlocks: bigint;
  private readonly loop: StepLoop<StepResult>;
  private queue: Promise<unknown> = Promise.resolve();
  private chainChecked = false;

  constructor(
    private readonly db: Db,
    chain: ChainConfig,
    opts: WatcherOptions = {},
  ) {
    this.chain = chain;
    this.client = opts.client ?? chainClient(chain);
    this.startBlock = opts.startBlock ?? 0n;
    const max = opts.maxBlocksPerStep ?? 500;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('maxBlocksPerStep must be a positive integer');
    this.maxBlocks = BigInt(max);
    this.loop = new StepLoop({ step: () => this.step(), scheduler: opts.scheduler ?? timerScheduler, intervalMs: opts.intervalMs ?? 4000, onStep: opts.onStep, onError: opts.onError });
  }

  /** Starts stepping in a loop. */
  start(): void {
    this.loop.start();
  }

  /** Stops the loop; resolves when the step under way has ended. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass: undo a reorg, scan new blocks, post finality. Steps of one watcher never overlap. */
  step(): Promise<StepResult> {
    const run = this.queue.then(() => this.runStep());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runStep(): Promise<StepResult> {
    const { db, client } = this;
    const chainId = this.chain.chainId;
    if (!this.chainChecked) {
      const actual = BigInt(await client.getChainId());
      if (actual !== chainId) throw new LedgerError('chain_mismatch', 'the RPC endpoint serves another chain', { expected: chainId.toString(), actual: actual.toString() });
      this.chainChecked = true;
    }

    // 1. A reorg since the last step: reverse what the orphaned blocks credited, move the cursor back.
    const reorg = await findReorg(client, await storedBlocks(db, chainId));
    const removed = reorg === null ? [] : await undoAbove(db, chainId, reorg.ancestor);

    // 2. New blocks, from the cursor up to the latest (at most maxBlocks of them).
    let from = await readCursor(db, chainId);
    if (from === null) {
      from = this.startBlock;
      await setCursor(db, chainId, from);
    }
    const latest = await client.getBlockNumber({ cacheTime: 0 });
    const to = latest < from + this.maxBlocks - 1n ? latest : from + this.maxBlocks - 1n;
    const addresses = new Map((await listCustodyAddresses(db, chainId)).map((a) => [a.address, a]));
    const blocks = await scanBlocks(client, { chainId, tokens: this.chain.tokens, addresses, fromBlock: from, toBlock: to });
    const included: Deposit[] = [];
    const alreadyFinal: Deposit[] = [];
    const skipped: SeenTransfer[] = [];
    let last = from - 1n;
    for (const b of blocks) {
      // The chain moved under the scan (this block does not follow the one stored below it): stop, the next step sees the reorg.
      const below = b.number === 0n ? null : await storedHash(db, chainId, b.number - 1n);
      if (below !== null && below !== b.parentHash) break;
      for (const t of b.deposits) {
        const inc = await recordInclusion(db, chainId, b, t);
        if (inc.outcome === 'posted') included.push(inc.deposit);
        else if (inc.outcome === 'elsewhere') alreadyFinal.push(inc.deposit);
      }
      skipped.push(...b.skipped);
      await markScanned(db, chainId, b);
      last = b.number;
    }

    // 3. Finality: included deposits at or below the final block, if their block is still the chain's.
    const fin = await finalBlock(client, this.chain.finality);
    const finalized: Deposit[] = [];
    const canonical = new Map<bigint, string | null>();
    for (const d of await listDeposits(db, chainId, { status: 'included', atOrBelowBlock: fin })) {
      if (d.inclusionEntryId === null) continue; // its block is rescanned first (the cursor did not pass it)
      if (!canonical.has(d.blockNumber)) canonical.set(d.blockNumber, await chainHashAt(client, d.blockNumber));
      if (canonical.get(d.blockNumber) !== d.blockHash) continue;
      const r = await recordFinality(db, d);
      if (r.posted) finalized.push(r.deposit);
    }
    if (fin >= 0n) await pruneBelow(db, chainId, fin);

    return { reorg, removed, scanned: { from, to: last }, included, skipped, alreadyFinal, finalBlock: fin, finalized };
  }
}
