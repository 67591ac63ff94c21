// The nonce manager: a reservation table per (chain, from), with one writer per address at a time.
// The writer holds a transaction-scoped advisory lock on the address (a database lock, so two worker
// processes on one PostgreSQL server serialise; a process-local mutex would not). The next nonce is
// the lowest one at or above the chain's confirmed count that is free: a nonce released by a
// withdrawal cancelled before it was sent is taken again first, so released nonces do not stay gaps.
import type { Queryable } from '../ledger/db.js';
import { OrchestratorError } from './errors.js';

export interface NonceKey {
  chainId: bigint;
  from: string;
}

const norm = (k: NonceKey) => ({ chain: k.chainId.toString(), from: k.from.toLowerCase() });

/** Takes the address's writer lock until the caller's transaction ends. */
export async function lockAddress(tx: Queryable, k: NonceKey): Promise<void> {
  const { chain, from } = norm(k);
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`nonce:${chain}:${from}`]);
}

/**
 * Reserves a nonce for the withdrawal (the same one again if it holds one), in the caller's
 * transaction and under the address lock. `confirmed` is the chain's transaction count at `latest`:
 * nonces below it are spent on chain.
 */
export async function reserveNonce(tx: Queryable, k: NonceKey, withdrawalId: string, confirmed: bigint): Promise<bigint> {
  await lockAddress(tx, k);
  const { chain, from } = norm(k);
  const held = await tx.query<{ nonce: string }>("SELECT nonce::text AS nonce FROM orch_nonces WHERE chain_id = $1 AND from_address = $2 AND withdrawal_id = $3 AND status = 'reserved'", [
    chain,
    from,
    withdrawalId,
  ]);
  if (held.rows[0] !== undefined) return BigInt(held.rows[0].nonce);
  const released = await tx.query<{ nonce: string }>(
    "SELECT nonce::text AS nonce FROM orch_nonces WHERE chain_id = $1 AND from_address = $2 AND status = 'released' AND nonce >= $3::numeric ORDER BY nonce LIMIT 1",
    [chain, from, confirmed.toString()],
  );
  if (released.rows[0] !== undefined) {
    const n = released.rows[0].nonce;
    await tx.query("UPDATE orch_nonces SET status = 'reserved', withdrawal_id = $4 WHERE chain_id = $1 AND from_address = $2 AND nonce = $3::numeric", [chain, from, n, withdrawalId]);
    return BigInt(n);
  }
  const top = await tx.query<{ next: string | null }>('SELECT (max(nonce) + 1)::text AS next FROM orch_nonces WHERE chain_id = $1 AND from_address = $2', [chain, from]);
  const next = top.rows[0]?.next === null || top.rows[0] === undefined ? 0n : BigInt(top.rows[0].next);
  const nonce = next > confirmed ? next : confirmed;
  await tx.query("INSERT INTO orch_nonces (chain_id, from_address, nonce, withdrawal_id, status) VALUES ($1, $2, $3::numeric, $4, 'reserved')", [chain, from, nonce.toString(), withdrawalId]);
  return nonce;
}

/** Releases the withdrawal's nonce (it was cancelled before anything was sent at it). */
export async function releaseNonce(tx: Queryable, k: NonceKey, withdrawalId: string): Promise<bigint | null> {
  await lockAddress(tx, k);
  const { chain, from } = norm(k);
  const r = await tx.query<{ nonce: string }>(
    "UPDATE orch_nonces SET status = 'released' WHERE chain_id = $1 AND from_address = $2 AND withdrawal_id = $3 AND status = 'reserved' RETURNING nonce::text AS nonce",
    [chain, from, withdrawalId],
  );
  return r.rows[0] === undefined ? null : BigInt(r.rows[0].nonce);
}

export interface NonceGaps {
  /** Released nonces at or above the confirmed count with a reserved nonce above them: the chain waits on them. */
  released: bigint[];
  /** Reserved nonces below the confirmed count whose withdrawal has no included attempt at them: spent by someone else. */
  spentElsewhere: bigint[];
  /** The highest reserved nonce, or null. */
  highest: bigint | null;
}

/** Compares the reservations with the chain's confirmed count (eth_getTransactionCount at latest). */
export async function nonceGaps(db: Queryable, k: NonceKey, confirmed: bigint): Promise<NonceGaps> {
  const { chain, from } = norm(k);
  const rows = await db.query<{ nonce: string; status: string; included: boolean }>(
    `SELECT n.nonce::text AS nonce, n.status,
            EXISTS (SELECT 1 FROM orch_attempts a WHERE a.chain_id = n.chain_id AND a.from_address = n.from_address AND a.nonce = n.nonce
                    AND a.state IN ('included', 'confirmed', 'finalized', 'reverted')) AS included
       FROM orch_nonces n WHERE n.chain_id = $1 AND n.from_address = $2 ORDER BY n.nonce`,
    [chain, from],
  );
  const reserved = rows.rows.filter((r) => r.status === 'reserved').map((r) => BigInt(r.nonce));
  const highest = reserved.length === 0 ? null : reserved[reserved.length - 1]!;
  const released = rows.rows.filter((r) => r.status === 'released' && BigInt(r.nonce) >= confirmed && highest !== null && BigInt(r.nonce) < highest).map((r) => BigInt(r.nonce));
  const spentElsewhere = rows.rows.filter((r) => r.status === 'reserved' && BigInt(r.nonce) < confirmed && !r.included).map((r) => BigInt(r.nonce));
  return { released, spentElsewhere, highest };
}

/** Throws `nonce_taken` when the nonce is reserved by another withdrawal (a replacement must reuse its own). */
export async function assertNonceHeld(tx: Queryable, k: NonceKey, withdrawalId: string, nonce: bigint): Promise<void> {
  const { chain, from } = norm(k);
  const r = await tx.query<{ withdrawal_id: string; status: string }>('SELECT withdrawal_id, status FROM orch_nonces WHERE chain_id = $1 AND from_address = $2 AND nonce = $3::numeric', [
    chain,
    from,
    nonce.toString(),
  ]);
  const row = r.rows[0];
  if (row === undefined || row.withdrawal_id !== withdrawalId || row.status !== 'reserved')
    throw new OrchestratorError('nonce_taken', 'the nonce is not held by this withdrawal', { nonce: nonce.toString(), withdrawalId });
}
