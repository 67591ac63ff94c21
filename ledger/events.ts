// The ledger's outbox of events (a reconciliation break, an exception resolved, an HD deposit key
// the appliance derived at another address than the xpub's) for the custody
// service to stream. An event is appended in the transaction of the change it reports, so it exists
// exactly when the change does. Appenders take one advisory lock until commit, so ids are handed out
// in commit order and a reader that lists "after the last id it saw" never skips one.
import type { Queryable } from './db.js';

export const EVENT_TYPES = ['reconciliation.break', 'exception.resolved', 'hd.key_mismatch'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface LedgerEvent {
  id: number;
  type: EventType;
  /** JSON values only; amounts as decimal strings. */
  payload: Record<string, unknown>;
  createdAt: string;
}

const OUTBOX_LOCK = 7_411_300_014;

/** Appends an event inside the caller's transaction; returns its id. */
export async function appendEvent(tx: Queryable, type: EventType, payload: Record<string, unknown>, at: Date = new Date()): Promise<number> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [OUTBOX_LOCK]);
  const r = await tx.query<{ id: string }>('INSERT INTO ledger_events (type, payload, created_at) VALUES ($1, $2::jsonb, $3) RETURNING id::text AS id', [
    type,
    JSON.stringify(payload),
    at.toISOString(),
  ]);
  return Number(r.rows[0]!.id);
}

interface Row {
  id: string;
  type: EventType;
  payload: Record<string, unknown>;
  created_at: string | Date;
}

/** Events with id above `afterId`, in id order, at most `limit` (1 to 1000). */
export async function listEvents(db: Queryable, afterId = 0, limit = 100): Promise<LedgerEvent[]> {
  const n = Math.max(1, Math.min(1000, Math.floor(limit)));
  const r = await db.query<Row>('SELECT id::text AS id, type, payload, created_at FROM ledger_events WHERE id > $1 ORDER BY id LIMIT $2', [afterId, n]);
  return r.rows.map((e) => ({ id: Number(e.id), type: e.type, payload: e.payload, createdAt: new Date(e.created_at).toISOString() }));
}
