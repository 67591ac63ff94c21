// The exception queue: one row per reconciliation break, holding the suspense entry that absorbed
// the difference, open until an operator resolves it. Resolving records who did it, when and why, and
// emits an event in the same transaction; resolving a resolved exception is refused (already_resolved)
// with who resolved it. Resolving posts nothing: moving the value out of suspense is its own entry.
import type { Db, Queryable } from './db.js';
import { LedgerError } from './errors.js';
import { appendEvent } from './events.js';
import { EXCEPTION_KINDS, type ExceptionKind } from './reconcile-types.js';

export type ExceptionStatus = 'open' | 'resolved';

export interface ReconException {
  id: number;
  chainId: bigint;
  address: string;
  asset: string;
  /** The size of the difference (positive); the kind says its direction. */
  amount: bigint;
  block: bigint;
  reconciliationId: number;
  kind: ExceptionKind;
  /** The suspense entry posted for the break. */
  entryId: number;
  status: ExceptionStatus;
  resolvedBy: string | null;
  resolutionNote: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

interface Row {
  id: string;
  chain_id: string;
  address: string;
  asset: string;
  amount: string;
  block: string;
  reconciliation_id: string;
  kind: ExceptionKind;
  entry_id: string;
  status: ExceptionStatus;
  resolved_by: string | null;
  resolution_note: string | null;
  created_at: string | Date;
  resolved_at: string | Date | null;
}

const COLUMNS =
  'id::text AS id, chain_id::text AS chain_id, address, asset, amount::text AS amount, block::text AS block, reconciliation_id::text AS reconciliation_id, kind, entry_id::text AS entry_id, status, resolved_by, resolution_note, created_at, resolved_at';

function fromRow(r: Row): ReconException {
  return {
    id: Number(r.id),
    chainId: BigInt(r.chain_id),
    address: r.address,
    asset: r.asset,
    amount: BigInt(r.amount),
    block: BigInt(r.block),
    reconciliationId: Number(r.reconciliation_id),
    kind: r.kind,
    entryId: Number(r.entry_id),
    status: r.status,
    resolvedBy: r.resolved_by,
    resolutionNote: r.resolution_note,
    createdAt: new Date(r.created_at).toISOString(),
    resolvedAt: r.resolved_at === null ? null : new Date(r.resolved_at).toISOString(),
  };
}

/** The JSON form of an exception (amounts and block as decimal strings). */
export function exceptionJson(e: ReconException): Record<string, unknown> {
  return { ...e, chainId: e.chainId.toString(), amount: e.amount.toString(), block: e.block.toString() };
}

export interface NewException {
  chainId: bigint;
  address: string;
  asset: string;
  amount: bigint;
  block: bigint;
  reconciliationId: number;
  kind: ExceptionKind;
  entryId: number;
  at: Date;
}

/** Opens an exception inside the reconciliation's transaction. */
export async function insertException(tx: Queryable, e: NewException): Promise<ReconException> {
  const r = await tx.query<Row>(
    `INSERT INTO ledger_exceptions (chain_id, address, asset, amount, block, reconciliation_id, kind, entry_id, created_at) VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
    [e.chainId.toString(), e.address, e.asset, e.amount.toString(), e.block.toString(), e.reconciliationId, e.kind, e.entryId, e.at.toISOString()],
  );
  return fromRow(r.rows[0]!);
}

export async function getException(db: Queryable, id: number): Promise<ReconException | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_exceptions WHERE id = $1`, [id]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}

/** The exception opened for a suspense entry, or null. */
export async function exceptionForEntry(db: Queryable, entryId: number): Promise<ReconException | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_exceptions WHERE entry_id = $1`, [entryId]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}

export interface ExceptionFilter {
  status?: ExceptionStatus;
  chainId?: bigint;
  address?: string;
  asset?: string;
  kind?: ExceptionKind;
  reconciliationId?: number;
  /** Exceptions with id above this one (the `nextAfterId` of the previous page). */
  afterId?: number;
  /** 1 to 500, default 50. */
  limit?: number;
}

export interface ExceptionPage {
  items: ReconException[];
  /** Pass as `afterId` for the next page; null when this page is the last. */
  nextAfterId: number | null;
}

/** Exceptions in id order matching every filter given, a page at a time. */
export async function listExceptions(db: Queryable, f: ExceptionFilter = {}): Promise<ExceptionPage> {
  if (f.status !== undefined && f.status !== 'open' && f.status !== 'resolved') throw new LedgerError('bad_entry', 'bad exception status', { status: f.status });
  if (f.kind !== undefined && !(EXCEPTION_KINDS as readonly string[]).includes(f.kind)) throw new LedgerError('bad_entry', 'bad exception kind', { kind: f.kind });
  const limit = Math.max(1, Math.min(500, Math.floor(f.limit ?? 50)));
  const r = await db.query<Row>(
    `SELECT ${COLUMNS} FROM ledger_exceptions
      WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR chain_id = $2) AND ($3::text IS NULL OR address = $3)
        AND ($4::text IS NULL OR asset = $4) AND ($5::text IS NULL OR kind = $5) AND ($6::bigint IS NULL OR reconciliation_id = $6) AND id > $7
      ORDER BY id LIMIT $8`,
    [f.status ?? null, f.chainId?.toString() ?? null, f.address?.toLowerCase() ?? null, f.asset ?? null, f.kind ?? null, f.reconciliationId ?? null, f.afterId ?? 0, limit + 1],
  );
  const items = r.rows.slice(0, limit).map(fromRow);
  return { items, nextAfterId: r.rows.length > limit ? items[items.length - 1]!.id : null };
}

const BY_RE = /^[\x21-\x7e]{1,200}$/;

/** Resolves an open exception, recording who (`by`), why (`note`) and when; emits `exception.resolved`. */
export async function resolveException(db: Db, id: number, by: string, note: string, at: Date = new Date()): Promise<ReconException> {
  if (typeof by !== 'string' || !BY_RE.test(by)) throw new LedgerError('bad_entry', 'who resolves (1-200 printable characters) is required');
  if (typeof note !== 'string' || note.trim().length === 0 || note.length > 2000) throw new LedgerError('bad_entry', 'a resolution note (1-2000 characters) is required');
  return db.transaction(async (tx) => {
    const r = await tx.query<Row>(`UPDATE ledger_exceptions SET status = 'resolved', resolved_by = $2, resolution_note = $3, resolved_at = $4 WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`, [
      id,
      by,
      note,
      at.toISOString(),
    ]);
    const row = r.rows[0];
    if (row === undefined) {
      const existing = await getException(tx, id);
      if (existing === null) throw new LedgerError('not_found', 'no such exception', { exceptionId: id });
      throw new LedgerError('already_resolved', 'the exception was resolved already', { exceptionId: id, resolvedBy: existing.resolvedBy, resolvedAt: existing.resolvedAt });
    }
    const e = fromRow(row);
    await appendEvent(
      tx,
      'exception.resolved',
      { exceptionId: e.id, kind: e.kind, chainId: e.chainId.toString(), address: e.address, asset: e.asset, amount: e.amount.toString(), resolvedBy: by, note },
      at,
    );
    return e;
  });
}
