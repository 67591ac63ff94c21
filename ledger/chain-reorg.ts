// Seeing and undoing a reorg. The watcher keeps the hashes of the blocks it scanned that are not final
// yet; when the chain's block at the highest stored height has another hash (or is gone), it walks
// down to the highest stored block the chain still has: the common ancestor. The deposits included
// above it lose their inclusion (a reversing entry) and are marked removed, and the cursor moves back
// to rescan from the block after it, where a transaction re-mined in a new block is credited anew.
// A final deposit is never reversed here, even if a reorg deeper than finality orphans its block: that
// is a break for reconciliation to report, not the watcher's to undo.
import { BlockNotFoundError, type PublicClient } from 'viem';
import type { Db } from './db.js';
import { listDeposits, recordRemoval, type Deposit } from './deposits.js';
import { rewindTo, type StoredBlock } from './scan-cursor.js';

export interface Reorg {
  /** The highest stored block the chain still has (or one below the lowest stored, for a reorg deeper than every stored block). */
  ancestor: bigint;
  /** The stored blocks the chain no longer has, highest first. */
  orphaned: StoredBlock[];
  /** True when no stored block survived: the reorg reached at least the final block kept as anchor. */
  deep: boolean;
}

/** The chain's hash at `number` (lower case), or null when it has no such block (it got shorter). */
export async function chainHashAt(client: PublicClient, number: bigint): Promise<string | null> {
  try {
    const b = await client.getBlock({ blockNumber: number });
    return b.hash?.toLowerCase() ?? null;
  } catch (err) {
    if (err instanceof BlockNotFoundError) return null;
    throw err;
  }
}

/** Compares the stored hashes (highest first) with the chain's; null when the highest one still matches. */
export async function findReorg(client: PublicClient, stored: StoredBlock[]): Promise<Reorg | null> {
  for (const [i, s] of stored.entries()) {
    if ((await chainHashAt(client, s.number)) === s.hash) return i === 0 ? null : { ancestor: s.number, orphaned: stored.slice(0, i), deep: false };
  }
  if (stored.length === 0) return null;
  return { ancestor: stored[stored.length - 1]!.number - 1n, orphaned: stored, deep: true };
}

/** Reverses and marks removed the included deposits above `ancestor`, then rewinds the cursor to the block after it; returns the deposits it removed. */
export async function undoAbove(db: Db, chainId: bigint, ancestor: bigint): Promise<Deposit[]> {
  const removed: Deposit[] = [];
  for (const d of await listDeposits(db, chainId, { status: 'included', aboveBlock: ancestor })) {
    const r = await recordRemoval(db, d);
    if (r.deposit.status === 'removed') removed.push(r.deposit);
  }
  await rewindTo(db, chainId, ancestor);
  return removed;
}
