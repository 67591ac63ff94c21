// Withdrawals in the database: creation (idempotent by key: the same request twice is one
// withdrawal; the same key for a different request is refused), reads with filters, and the one way a
// state changes: `moveWithdrawal`, which locks the row, checks the move against WITHDRAWAL_TRANSITIONS
// and appends it to the transition log with its cause, actor and trace id, in the caller's
// transaction, so the log row and whatever the move does in the database commit together.
import { createHash, randomUUID } from 'node:crypto';
import { isAssetId } from '../ledger/assets.js';
import type { Db, Queryable } from '../ledger/db.js';
import { OrchestratorError } from './errors.js';
import { travelRuleHash } from './travel-rule.js';
import { WITHDRAWAL_STATE_NAMES, type WithdrawalState } from './states.js';
import { allowed, WITHDRAWAL_TRANSITIONS } from './transitions.js';

export interface WithdrawalRequest {
  idempotencyKey: string;
  customer: string;
  chainId: bigint;
  /** A ledger asset id of that chain: "<chainId>:native" or "<chainId>:erc20:0x…". */
  asset: string;
  to: string;
  amount: bigint;
  /** Who asked (the API token's principal). */
  actor: string;
  /** When it was asked, by the service's clock (the 24-hour limit counts from it). */
  at: Date;
  /** IVMS101 originator and beneficiary, when the amount needs one (checks.ts). */
  travelRule?: unknown;
}

export interface Withdrawal {
  id: string;
  idempotencyKey: string;
  customer: string;
  chainId: bigint;
  asset: string;
  to: string;
  amount: bigint;
  state: WithdrawalState;
  traceId: string;
  from: string | null;
  travelRuleHash: string | null;
  requestedAt: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface TransitionRecord {
  seq: number;
  from: string | null;
  to: string;
  cause: string;
  actor: string;
  traceId: string;
  detail: unknown;
  at: string;
}

const TEXT_RE = /^[\x21-\x7e]{1,200}$/;
const OWNER_RE = /^[A-Za-z0-9._@-]{1,128}$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

function bad(field: string, message: string): never {
  throw new OrchestratorError('bad_request', message, { field });
}

export function checkRequest(r: WithdrawalRequest): void {
  if (typeof r.idempotencyKey !== 'string' || !TEXT_RE.test(r.idempotencyKey)) bad('idempotencyKey', 'an idempotency key of 1-200 printable characters is required');
  if (typeof r.customer !== 'string' || !OWNER_RE.test(r.customer)) bad('customer', 'bad customer id');
  if (typeof r.chainId !== 'bigint' || r.chainId <= 0n) bad('chainId', 'bad chain id');
  if (typeof r.asset !== 'string' || !isAssetId(r.asset) || !r.asset.startsWith(`${r.chainId}:`)) bad('asset', 'the asset must be an asset id of the chain');
  if (typeof r.to !== 'string' || !ADDRESS_RE.test(r.to)) bad('to', 'bad destination address');
  if (typeof r.amount !== 'bigint' || r.amount <= 0n || r.amount >= 10n ** 77n) bad('amount', 'the amount is a positive integer in base units');
  if (typeof r.actor !== 'string' || !TEXT_RE.test(r.actor)) bad('actor', 'bad actor');
  if (!(r.at instanceof Date) || Number.isNaN(r.at.getTime())) bad('at', 'bad request time');
  if (r.travelRule !== undefined) {
    try {
      travelRuleHash(r.travelRule);
    } catch {
      bad('travelRule', 'the travel-rule payload is JSON');
    }
  }
}

function fingerprintOf(r: WithdrawalRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([r.customer, r.chainId.toString(), r.asset, r.to.toLowerCase(), r.amount.toString(), r.travelRule === undefined ? null : travelRuleHash(r.travelRule)]))
    .digest('hex');
}

interface Row {
  id: string;
  idempotency_key: string;
  customer: string;
  chain_id: string;
  asset: string;
  to_address: string;
  amount: string;
  state: WithdrawalState;
  trace_id: string;
  from_address: string | null;
  travel_rule_hash: string | null;
  requested_at: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  fingerprint?: string;
}

const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${col}`;
const COLUMNS = [
  'id, idempotency_key, customer, chain_id::text AS chain_id, asset, to_address, amount::text AS amount, state, trace_id, from_address, travel_rule_hash, created_by',
  iso('requested_at'),
  iso('created_at'),
  iso('updated_at'),
].join(', ');

function fromRow(r: Row): Withdrawal {
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    customer: r.customer,
    chainId: BigInt(r.chain_id),
    asset: r.asset,
    to: r.to_address,
    amount: BigInt(r.amount),
    state: r.state,
    traceId: r.trace_id,
    from: r.from_address,
    travelRuleHash: r.travel_rule_hash,
    requestedAt: r.requested_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface Created {
  withdrawal: Withdrawal;
  /** True when the key had created this same withdrawal before: nothing new was written. */
  duplicate: boolean;
}

/** Creates the withdrawal in W0 `requested` (with its first log row), or returns the one the key made. */
export async function createWithdrawal(db: Db, r: WithdrawalRequest): Promise<Created> {
  checkRequest(r);
  const fp = fingerprintOf(r);
  const run = () =>
    db.transaction(async (tx) => {
      const found = await tx.query<Row>(`SELECT ${COLUMNS}, fingerprint FROM orch_withdrawals WHERE idempotency_key = $1`, [r.idempotencyKey]);
      const existing = found.rows[0];
      if (existing !== undefined) {
        if (existing.fingerprint !== fp) throw new OrchestratorError('idempotency_conflict', 'the idempotency key was used for a different withdrawal', { withdrawalId: existing.id });
        return { withdrawal: fromRow(existing), duplicate: true };
      }
      const id = `wd_${randomUUID()}`;
      const traceId = `withdrawal:${id}`;
      await tx.query(
        'INSERT INTO orch_withdrawals (id, idempotency_key, fingerprint, customer, chain_id, asset, to_address, amount, state, trace_id, created_by, requested_at, travel_rule, travel_rule_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11, $12, $13::jsonb, $14)',
        [
          id,
          r.idempotencyKey,
          fp,
          r.customer,
          r.chainId.toString(),
          r.asset,
          r.to.toLowerCase(),
          r.amount.toString(),
          'requested',
          traceId,
          r.actor,
          r.at.toISOString(),
          r.travelRule === undefined ? null : JSON.stringify(r.travelRule),
          r.travelRule === undefined ? null : travelRuleHash(r.travelRule),
        ],
      );
      await tx.query('INSERT INTO orch_withdrawal_transitions (withdrawal_id, from_state, to_state, cause, actor, trace_id) VALUES ($1, NULL, $2, $3, $4, $5)', [
        id,
        'requested',
        'created',
        r.actor,
        traceId,
      ]);
      const row = await tx.query<Row>(`SELECT ${COLUMNS} FROM orch_withdrawals WHERE id = $1`, [id]);
      return { withdrawal: fromRow(row.rows[0]!), duplicate: false };
    });
  try {
    return await run();
  } catch (err) {
    // Two creators racing with one key on a server: the loser hits the unique index; once more finds the winner's row.
    if ((err as { code?: unknown }).code !== '23505') throw err;
    return run();
  }
}

export async function getWithdrawal(db: Queryable, id: string): Promise<Withdrawal | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM orch_withdrawals WHERE id = $1`, [id]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}

export interface WithdrawalFilter {
  customer?: string;
  state?: WithdrawalState;
  chainId?: bigint;
  /** A page continues after this withdrawal (in creation order). */
  after?: string;
  limit?: number;
}

/** Withdrawals oldest first, filtered, one page at a time (at most 501: a page of up to 500 and the row that shows another follows). */
export async function listWithdrawals(db: Queryable, f: WithdrawalFilter = {}): Promise<Withdrawal[]> {
  const limit = f.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 501) bad('limit', 'limit is 1 to 501');
  if (f.state !== undefined && !WITHDRAWAL_STATE_NAMES.includes(f.state)) bad('state', 'unknown state');
  const r = await db.query<Row>(
    `SELECT ${COLUMNS} FROM orch_withdrawals
      WHERE ($1::text IS NULL OR customer = $1) AND ($2::text IS NULL OR state = $2) AND ($3::bigint IS NULL OR chain_id = $3)
        AND ($4::text IS NULL OR seq > (SELECT seq FROM orch_withdrawals WHERE id = $4))
      ORDER BY seq LIMIT $5`,
    [f.customer ?? null, f.state ?? null, f.chainId?.toString() ?? null, f.after ?? null, limit],
  );
  return r.rows.map(fromRow);
}

export interface MoveOptions {
  actor: string;
  detail?: Record<string, unknown>;
}

/**
 * Moves the withdrawal to `to` for `cause`, inside the caller's transaction: the row is locked, the
 * move checked against the table (refused with `illegal_transition`, writing nothing), logged, applied.
 */
export async function moveWithdrawal(tx: Queryable, id: string, to: WithdrawalState, cause: string, o: MoveOptions): Promise<Withdrawal> {
  const r = await tx.query<Row>(`SELECT ${COLUMNS} FROM orch_withdrawals WHERE id = $1 FOR UPDATE`, [id]);
  const row = r.rows[0];
  if (row === undefined) throw new OrchestratorError('not_found', 'no such withdrawal', { withdrawalId: id });
  if (!allowed(WITHDRAWAL_TRANSITIONS, row.state, to, cause)) {
    throw new OrchestratorError('illegal_transition', `a withdrawal does not move from ${row.state} to ${to} on ${cause}`, { withdrawalId: id, from: row.state, to, cause });
  }
  await tx.query('INSERT INTO orch_withdrawal_transitions (withdrawal_id, from_state, to_state, cause, actor, trace_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)', [
    id,
    row.state,
    to,
    cause,
    o.actor,
    row.trace_id,
    o.detail === undefined ? null : JSON.stringify(o.detail),
  ]);
  await tx.query('UPDATE orch_withdrawals SET state = $2, updated_at = now() WHERE id = $1', [id, to]);
  return { ...fromRow(row), state: to };
}

/** The stored travel-rule payload of a withdrawal, or undefined. */
export async function travelRuleOf(db: Queryable, id: string): Promise<unknown> {
  const r = await db.query<{ travel_rule: unknown }>('SELECT travel_rule FROM orch_withdrawals WHERE id = $1', [id]);
  return r.rows[0]?.travel_rule ?? undefined;
}

/** Sets the hot address a withdrawal is sent from (once, when its first attempt is made). */
export async function setWithdrawalFrom(tx: Queryable, id: string, from: string): Promise<void> {
  if (!ADDRESS_RE.test(from)) bad('from', 'bad from address');
  await tx.query('UPDATE orch_withdrawals SET from_address = $2 WHERE id = $1 AND (from_address IS NULL OR from_address = $2)', [id, from.toLowerCase()]);
}

interface TransitionRow {
  seq: string;
  from_state: string | null;
  to_state: string;
  cause: string;
  actor: string;
  trace_id: string;
  detail: unknown;
  at: string;
}

/** The withdrawal's transition log, oldest first. */
export async function withdrawalHistory(db: Queryable, id: string): Promise<TransitionRecord[]> {
  const r = await db.query<TransitionRow>(
    `SELECT seq::text AS seq, from_state, to_state, cause, actor, trace_id, detail, ${iso('at')} FROM orch_withdrawal_transitions WHERE withdrawal_id = $1 ORDER BY seq`,
    [id],
  );
  return r.rows.map((x) => ({ seq: Number(x.seq), from: x.from_state, to: x.to_state, cause: x.cause, actor: x.actor, traceId: x.trace_id, detail: x.detail, at: x.at }));
}
