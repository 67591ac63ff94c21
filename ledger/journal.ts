// Posting to the journal. One transaction does everything or nothing: the idempotency check, the
// transition check, the balance updates with their invariants, and the append of the entry and its
// lines. A refused posting throws a LedgerError and writes nothing. Balance rows are updated in a fixed
// order before the entry takes its id, so on a server two postings that share a balance serialise on
// its row lock and get their ids in commit order (docs/ledger.md "Concurrency").
import type { Db, Queryable } from './db.js';
import { checkBalanced, checkIdempotencyKey, checkTrace, checkTransition, fingerprint, resolveLines, type Entry, type EntryInput, type Line, type Trace } from './entry.js';
import { LedgerError } from './errors.js';
import type { AccountKind, BalanceState } from './kinds.js';

export interface Posted {
  entry: Entry;
  /** True when the idempotency key had posted this same entry before: nothing new was written. */
  duplicate: boolean;
}

interface Prepared {
  kind: Entry['kind'];
  idempotencyKey: string;
  trace: Trace;
  reverses: number | null;
  lines: Line[];
  fingerprint: string;
}

/** Posts an entry of one of the transition table's kinds. */
export async function postEntry(db: Db, input: EntryInput): Promise<Posted> {
  checkIdempotencyKey(input.idempotencyKey);
  checkTrace(input.trace);
  const lines = resolveLines(input.lines);
  checkBalanced(lines);
  checkTransition(input.kind, lines);
  const prepared: Prepared = { kind: input.kind, idempotencyKey: input.idempotencyKey, trace: input.trace, reverses: null, lines, fingerprint: fingerprint(input.kind, input.trace, null, lines) };
  return withUniqueRetry(() => db.transaction((tx) => commit(tx, prepared)));
}

/**
 * Posts inside a transaction the caller holds, so a posting and the caller's own rows (a withdrawal's
 * state change) commit or roll back together. A refusal throws; the caller's transaction must then
 * roll back. A unique-key race with another process surfaces as the database's error (23505): the
 * caller's transaction retries as a whole.
 */
export async function postEntryIn(tx: Queryable, input: EntryInput): Promise<Posted> {
  checkIdempotencyKey(input.idempotencyKey);
  checkTrace(input.trace);
  const lines = resolveLines(input.lines);
  checkBalanced(lines);
  checkTransition(input.kind, lines);
  return commit(tx, { kind: input.kind, idempotencyKey: input.idempotencyKey, trace: input.trace, reverses: null, lines, fingerprint: fingerprint(input.kind, input.trace, null, lines) });
}

export interface ReversalInput {
  entryId: number;
  idempotencyKey: string;
  /** Defaults to the original's trace. */
  trace?: Trace;
}

/** Posts the reversing entry of `entryId`: its lines negated, referencing it. An entry is reversed at most once. */
export async function reverseEntry(db: Db, input: ReversalInput): Promise<Posted> {
  checkIdempotencyKey(input.idempotencyKey);
  if (input.trace !== undefined) checkTrace(input.trace);
  return withUniqueRetry(() =>
    db.transaction(async (tx) => {
      const original = await loadEntry(tx, input.entryId);
      if (original === null) throw new LedgerError('not_found', 'no such entry', { entryId: input.entryId });
      if (original.kind === 'reversal') throw new LedgerError('not_reversible', 'a reversal is not reversed: post the entry again', { entryId: input.entryId });
      const trace = input.trace ?? original.trace;
      const lines = original.lines.map((l) => ({ ...l, amount: -l.amount }));
      const prepared: Prepared = { kind: 'reversal', idempotencyKey: input.idempotencyKey, trace, reverses: original.id, lines, fingerprint: fingerprint('reversal', trace, original.id, lines) };
      const dup = await findDuplicate(tx, prepared);
      if (dup !== null) return dup;
      const already = await tx.query<{ id: string }>('SELECT id::text AS id FROM ledger_entries WHERE reverses = $1', [original.id]);
      if (already.rows.length > 0) throw new LedgerError('already_reversed', 'the entry has a reversal already', { entryId: original.id, reversal: Number(already.rows[0]!.id) });
      return commit(tx, prepared);
    }),
  );
}

/** The entry with that id, or null. */
export async function getEntry(db: Queryable, id: number): Promise<Entry | null> {
  return loadEntry(db, id);
}

async function findDuplicate(tx: Queryable, p: Prepared): Promise<Posted | null> {
  const found = await tx.query<{ id: string; fingerprint: string }>('SELECT id::text AS id, fingerprint FROM ledger_entries WHERE idempotency_key = $1', [p.idempotencyKey]);
  const row = found.rows[0];
  if (row === undefined) return null;
  if (row.fingerprint !== p.fingerprint)
    throw new LedgerError('idempotency_conflict', 'the idempotency key was used for a different entry', { idempotencyKey: p.idempotencyKey, entryId: Number(row.id) });
  return { entry: (await loadEntry(tx, Number(row.id)))!, duplicate: true };
}

async function commit(tx: Queryable, p: Prepared): Promise<Posted> {
  const dup = await findDuplicate(tx, p);
  if (dup !== null) return dup;

  const ids = [...new Set(p.lines.map((l) => l.accountId))];
  const known = await tx.query<{ id: string; kind: AccountKind }>('SELECT id, kind FROM ledger_accounts WHERE id = ANY($1::text[])', [ids]);
  const kinds = new Map(known.rows.map((r) => [r.id, r.kind]));
  for (const id of ids) if (!kinds.has(id)) throw new LedgerError('unknown_account', 'the account was never opened', { account: id });

  // One delta per (account, state), applied in sorted order (no deadlock between two posters).
  const deltas = new Map<string, { accountId: string; state: BalanceState; amount: bigint }>();
  for (const l of p.lines) {
    const key = `${l.accountId}\u0000${l.state}`;
    const d = deltas.get(key) ?? { accountId: l.accountId, state: l.state, amount: 0n };
    d.amount += l.amount;
    deltas.set(key, d);
  }
  for (const key of [...deltas.keys()].sort()) {
    const d = deltas.get(key)!;
    if (d.amount === 0n) continue;
    // The row lock is taken here; the balance's check constraint refuses a negative amount where the
    // account kind forbids one (NON_NEGATIVE, copied to floor_zero when the account was opened).
    try {
      await tx.query('UPDATE ledger_balances SET amount = amount + $3::numeric WHERE account_id = $1 AND state = $2', [d.accountId, d.state, d.amount.toString()]);
    } catch (err) {
      if ((err as { code?: unknown }).code !== '23514') throw err;
      throw new LedgerError('negative_balance', `${d.state} would go below zero`, { account: d.accountId, state: d.state });
    }
  }

  const inserted = await tx.query<{ id: string }>(
    'INSERT INTO ledger_entries (kind, idempotency_key, fingerprint, trace_id, bridge_request_id, audit_seq, reverses) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text AS id',
    [p.kind, p.idempotencyKey, p.fingerprint, p.trace.traceId, p.trace.bridgeRequestId ?? null, p.trace.auditSeq ?? null, p.reverses],
  );
  const id = Number(inserted.rows[0]!.id);
  for (const [i, l] of p.lines.entries()) {
    await tx.query('INSERT INTO ledger_lines (entry_id, line_no, account_id, state, amount) VALUES ($1, $2, $3, $4, $5::numeric)', [id, i, l.accountId, l.state, l.amount.toString()]);
  }
  return { entry: { id, kind: p.kind, idempotencyKey: p.idempotencyKey, trace: p.trace, reverses: p.reverses, lines: p.lines }, duplicate: false };
}

/** An entry's row as ENTRY_COLUMNS selects it (ids and sequence numbers as text). */
export interface EntryRow {
  id: string;
  kind: Entry['kind'];
  idempotency_key: string;
  trace_id: string;
  bridge_request_id: string | null;
  audit_seq: string | null;
  reverses: string | null;
}

/** A line's row joined with its account (kind, asset). */
export interface LineRow {
  entry_id: string;
  account_id: string;
  kind: AccountKind;
  asset: string;
  state: BalanceState;
  amount: string;
}

const ENTRY_COLUMNS = 'id::text AS id, kind, idempotency_key, trace_id, bridge_request_id, audit_seq::text AS audit_seq, reverses::text AS reverses';
const LINE_QUERY = 'SELECT l.entry_id::text AS entry_id, l.account_id, a.kind, a.asset, l.state, l.amount::text AS amount FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id';

export function entryFromRows(e: EntryRow, lines: LineRow[]): Entry {
  const trace: Trace = { traceId: e.trace_id };
  if (e.bridge_request_id !== null) trace.bridgeRequestId = e.bridge_request_id;
  if (e.audit_seq !== null) trace.auditSeq = Number(e.audit_seq);
  return {
    id: Number(e.id),
    kind: e.kind,
    idempotencyKey: e.idempotency_key,
    trace,
    reverses: e.reverses === null ? null : Number(e.reverses),
    lines: lines.map((l) => ({ accountId: l.account_id, accountKind: l.kind, asset: l.asset, state: l.state, amount: BigInt(l.amount) })),
  };
}

async function loadEntry(db: Queryable, id: number): Promise<Entry | null> {
  const e = await db.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE id = $1`, [id]);
  const row = e.rows[0];
  if (row === undefined) return null;
  const lines = await db.query<LineRow>(`${LINE_QUERY} WHERE l.entry_id = $1 ORDER BY l.line_no`, [id]);
  return entryFromRows(row, lines.rows);
}

/** Entries with id above `afterId`, in id order, at most `limit` (a page of the journal). */
export async function listEntries(db: Queryable, afterId: number, limit: number): Promise<Entry[]> {
  const es = await db.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE ledger_entries.id > $1 ORDER BY ledger_entries.id LIMIT $2`, [afterId, limit]);
  if (es.rows.length === 0) return [];
  const last = es.rows[es.rows.length - 1]!.id;
  const ls = await db.query<LineRow>(`${LINE_QUERY} WHERE l.entry_id > $1 AND l.entry_id <= $2 ORDER BY l.entry_id, l.line_no`, [afterId, last]);
  const byEntry = new Map<string, LineRow[]>();
  for (const l of ls.rows) byEntry.set(l.entry_id, [...(byEntry.get(l.entry_id) ?? []), l]);
  return es.rows.map((e) => entryFromRows(e, byEntry.get(e.id) ?? []));
}

/**
 * On a server, two posters racing with one idempotency key (or reversing one entry) both pass the
 * lookup; the loser's insert hits the unique index and its transaction rolls back. Running it once more
 * finds the winner's entry: the same entry is returned as a duplicate, another is a typed refusal.
 */
async function withUniqueRetry(run: () => Promise<Posted>): Promise<Posted> {
  try {
    return await run();
  } catch (err) {
    if ((err as { code?: unknown }).code !== '23505') throw err;
    return run();
  }
}
