// The stored reconciliation runs: one row per run (chain, block, time, its rows as JSON, the number
// of breaks), written in the run's transaction; read back one by one or as pages.
import type { Queryable } from './db.js';
import { rowFromJson, rowToJson, type ReconRowJson } from './reconcile-report.js';
import type { ReconRow, Reconciliation } from './reconcile-types.js';

interface Row {
  id: string;
  chain_id: string;
  block: string;
  run_at: string | Date;
  rows: ReconRowJson[];
  break_count: number;
}

const COLUMNS = 'id::text AS id, chain_id::text AS chain_id, block::text AS block, run_at, rows, break_count';

function fromRow(r: Row): Reconciliation {
  return { id: Number(r.id), chainId: BigInt(r.chain_id), block: BigInt(r.block), runAt: new Date(r.run_at).toISOString(), rows: r.rows.map(rowFromJson), breakCount: r.break_count };
}

/** Starts a run's row (no rows yet); returns its id. */
export async function insertRun(tx: Queryable, chainId: bigint, block: bigint, at: Date): Promise<number> {
  const r = await tx.query<{ id: string }>("INSERT INTO ledger_reconciliations (chain_id, block, run_at, rows, break_count) VALUES ($1, $2, $3, '[]'::jsonb, 0) RETURNING id::text AS id", [
    chainId.toString(),
    block.toString(),
    at.toISOString(),
  ]);
  return Number(r.rows[0]!.id);
}

export async function finishRun(tx: Queryable, id: number, rows: ReconRow[]): Promise<void> {
  const breaks = rows.filter((r) => r.status === 'break').length;
  await tx.query('UPDATE ledger_reconciliations SET rows = $2::jsonb, break_count = $3 WHERE id = $1', [id, JSON.stringify(rows.map(rowToJson)), breaks]);
}

export async function getReconciliation(db: Queryable, id: number): Promise<Reconciliation | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_reconciliations WHERE id = $1`, [id]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}

export interface RunFilter {
  chainId?: bigint;
  /** Runs with id above this one (the last id of the previous page). */
  afterId?: number;
  /** 1 to 501 (a page of up to 500 and the row that shows another follows), default 50. */
  limit?: number;
}

/** Runs in id order (oldest first), optionally of one chain, a page at a time. */
export async function listReconciliations(db: Queryable, f: RunFilter = {}): Promise<Reconciliation[]> {
  const limit = Math.max(1, Math.min(501, Math.floor(f.limit ?? 50)));
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_reconciliations WHERE ($1::bigint IS NULL OR chain_id = $1) AND id > $2 ORDER BY id LIMIT $3`, [
    f.chainId?.toString() ?? null,
    f.afterId ?? 0,
    limit,
  ]);
  return r.rows.map(fromRow);
}

/** The newest run of a chain, or null. */
export async function latestReconciliation(db: Queryable, chainId: bigint): Promise<Reconciliation | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_reconciliations WHERE chain_id = $1 ORDER BY id DESC LIMIT 1`, [chainId.toString()]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}
