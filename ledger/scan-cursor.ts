// The chain watcher's place on each chain: the next block to scan, and the hashes of the blocks it
// scanned that are not final yet (the evidence it compares with the chain to see a reorg). A block's
// hash and the cursor past it are written in one transaction, after the block's deposits are posted.
import type { Db, Queryable } from './db.js';

export interface StoredBlock {
  number: bigint;
  hash: string;
}

/** The next block to scan on the chain, or null before the first step. */
export async function readCursor(db: Queryable, chainId: bigint): Promise<bigint | null> {
  const r = await db.query<{ next_block: string }>('SELECT next_block::text AS next_block FROM ledger_chain_cursors WHERE chain_id = $1', [chainId.toString()]);
  return r.rows[0] === undefined ? null : BigInt(r.rows[0].next_block);
}

/** The stored block hashes of the chain, highest first. */
export async function storedBlocks(db: Queryable, chainId: bigint): Promise<StoredBlock[]> {
  const r = await db.query<{ number: string; hash: string }>('SELECT number::text AS number, hash FROM ledger_scanned_blocks WHERE chain_id = $1 ORDER BY number DESC', [chainId.toString()]);
  return r.rows.map((x) => ({ number: BigInt(x.number), hash: x.hash }));
}

/** The stored hash at `number`, or null. */
export async function storedHash(db: Queryable, chainId: bigint, number: bigint): Promise<string | null> {
  const r = await db.query<{ hash: string }>('SELECT hash FROM ledger_scanned_blocks WHERE chain_id = $1 AND number = $2', [chainId.toString(), number.toString()]);
  return r.rows[0]?.hash ?? null;
}

/** Block `b` is scanned: its hash is kept and the cursor moves past it. */
export async function markScanned(db: Db, chainId: bigint, b: StoredBlock): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO ledger_scanned_blocks (chain_id, number, hash) VALUES ($1, $2, $3) ON CONFLICT (chain_id, number) DO UPDATE SET hash = EXCLUDED.hash', [
      chainId.toString(),
      b.number.toString(),
      b.hash,
    ]);
    await setCursor(tx, chainId, b.number + 1n);
  });
}

/** Sets the cursor (the first step starts it at the configured block). */
export async function setCursor(db: Queryable, chainId: bigint, next: bigint): Promise<void> {
  await db.query('INSERT INTO ledger_chain_cursors (chain_id, next_block) VALUES ($1, $2) ON CONFLICT (chain_id) DO UPDATE SET next_block = EXCLUDED.next_block', [
    chainId.toString(),
    next.toString(),
  ]);
}

/** After a reorg: forgets the hashes above the common ancestor and moves the cursor to the block after it. */
export async function rewindTo(db: Db, chainId: bigint, ancestor: bigint): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM ledger_scanned_blocks WHERE chain_id = $1 AND number > $2', [chainId.toString(), ancestor.toString()]);
    await setCursor(tx, chainId, ancestor + 1n);
  });
}

/** Forgets the hashes of blocks below the final block (kept: the final block itself, as the anchor the next block's parent hash is checked against). */
export async function pruneBelow(db: Queryable, chainId: bigint, final: bigint): Promise<void> {
  await db.query('DELETE FROM ledger_scanned_blocks WHERE chain_id = $1 AND number < $2', [chainId.toString(), final.toString()]);
}
