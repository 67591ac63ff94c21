// Transaction attempts in the database: one row per signed transaction a withdrawal sent (or meant to
// send), grouped by (chain, from, nonce). Like a withdrawal, an attempt changes state only through
// `moveAttempt`, checked against ATTEMPT_TRANSITIONS and logged with cause, actor and trace id in the
// caller's transaction. Of the attempts at one nonce, the canonical one is the one the chain included.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../ledger/db.js';
import { OrchestratorError } from './errors.js';
import type { AttemptState } from './states.js';
import { allowed, ATTEMPT_TRANSITIONS } from './transitions.js';

export type AttemptKind = 'transfer' | 'cancel';

export interface Attempt {
  id: string;
  withdrawalId: string;
  chainId: bigint;
  from: string;
  nonce: bigint;
  kind: AttemptKind;
  state: AttemptState;
  txHash: string | null;
  rawTx: string | null;
  maxFeePerGas: bigint | null;
  maxPriorityFeePerGas: bigint | null;
  gasLimit: bigint | null;
  /** The block number when it was first sent (its inclusion deadline counts from it). */
  sentBlock: bigint | null;
  includedBlock: bigint | null;
  includedBlockHash: string | null;
}

interface Row {
  id: string;
  withdrawal_id: string;
  chain_id: string;
  from_address: string;
  nonce: string;
  kind: AttemptKind;
  state: AttemptState;
  tx_hash: string | null;
  raw_tx: string | null;
  max_fee_per_gas: string | null;
  max_priority_fee_per_gas: string | null;
  gas_limit: string | null;
  sent_block: string | null;
  included_block: string | null;
  included_block_hash: string | null;
  trace_id?: string;
}

const COLUMNS =
  'a.id, a.withdrawal_id, a.chain_id::text AS chain_id, a.from_address, a.nonce::text AS nonce, a.kind, a.state, a.tx_hash, a.raw_tx, a.max_fee_per_gas::text AS max_fee_per_gas, a.max_priority_fee_per_gas::text AS max_priority_fee_per_gas, a.gas_limit::text AS gas_limit, a.sent_block::text AS sent_block, a.included_block::text AS included_block, a.included_block_hash';

const big = (x: string | null): bigint | null => (x === null ? null : BigInt(x));

function fromRow(r: Row): Attempt {
  return {
    id: r.id,
    withdrawalId: r.withdrawal_id,
    chainId: BigInt(r.chain_id),
    from: r.from_address,
    nonce: BigInt(r.nonce),
    kind: r.kind,
    state: r.state,
    txHash: r.tx_hash,
    rawTx: r.raw_tx,
    maxFeePerGas: big(r.max_fee_per_gas),
    maxPriorityFeePerGas: big(r.max_priority_fee_per_gas),
    gasLimit: big(r.gas_limit),
    sentBlock: big(r.sent_block),
    includedBlock: big(r.included_block),
    includedBlockHash: r.included_block_hash,
  };
}

export interface NewAttempt {
  withdrawalId: string;
  chainId: bigint;
  from: string;
  nonce: bigint;
  kind: AttemptKind;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  gasLimit?: bigint;
  actor: string;
}

/** Creates an attempt in A0 `created`, logged. */
export async function createAttempt(tx: Queryable, a: NewAttempt): Promise<Attempt> {
  const w = await tx.query<{ trace_id: string }>('SELECT trace_id FROM orch_withdrawals WHERE id = $1', [a.withdrawalId]);
  if (w.rows[0] === undefined) throw new OrchestratorError('not_found', 'no such withdrawal', { withdrawalId: a.withdrawalId });
  const id = `at_${randomUUID()}`;
  await tx.query(
    'INSERT INTO orch_attempts (id, withdrawal_id, chain_id, from_address, nonce, kind, state, max_fee_per_gas, max_priority_fee_per_gas, gas_limit) VALUES ($1, $2, $3, $4, $5::numeric, $6, $7, $8::numeric, $9::numeric, $10::numeric)',
    [
      id,
      a.withdrawalId,
      a.chainId.toString(),
      a.from.toLowerCase(),
      a.nonce.toString(),
      a.kind,
      'created',
      a.maxFeePerGas?.toString() ?? null,
      a.maxPriorityFeePerGas?.toString() ?? null,
      a.gasLimit?.toString() ?? null,
    ],
  );
  await tx.query('INSERT INTO orch_attempt_transitions (attempt_id, from_state, to_state, cause, actor, trace_id) VALUES ($1, NULL, $2, $3, $4, $5)', [
    id,
    'created',
    'created',
    a.actor,
    w.rows[0].trace_id,
  ]);
  return (await getAttempt(tx, id))!;
}

export async function getAttempt(db: Queryable, id: string): Promise<Attempt | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM orch_attempts a WHERE a.id = $1`, [id]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}

/** Records the signed transaction of an attempt (its hash and raw bytes), before it is sent anywhere. */
export async function recordSigned(tx: Queryable, id: string, signed: { txHash: string; rawTx: string }, actor: string): Promise<Attempt> {
  await tx.query('UPDATE orch_attempts SET tx_hash = $2, raw_tx = $3 WHERE id = $1', [id, signed.txHash.toLowerCase(), signed.rawTx]);
  return moveAttempt(tx, id, 'signed', 'appliance_signed', { actor });
}

/** Records chain facts of an attempt (not its state): when it was sent, where it was included, its audit entry. */
export async function setAttemptFacts(tx: Queryable, id: string, f: { sentBlock?: bigint; includedBlock?: bigint | null; includedBlockHash?: string | null; auditSeq?: number }): Promise<void> {
  if (f.sentBlock !== undefined) await tx.query('UPDATE orch_attempts SET sent_block = coalesce(sent_block, $2::numeric) WHERE id = $1', [id, f.sentBlock.toString()]);
  if (f.includedBlock !== undefined) {
    await tx.query('UPDATE orch_attempts SET included_block = $2::numeric, included_block_hash = $3 WHERE id = $1', [id, f.includedBlock?.toString() ?? null, f.includedBlockHash ?? null]);
  }
  if (f.auditSeq !== undefined) await tx.query('UPDATE orch_attempts SET audit_seq = $2 WHERE id = $1', [id, f.auditSeq]);
}

/** Moves the attempt, checked against the table and logged, in the caller's transaction. */
export async function moveAttempt(tx: Queryable, id: string, to: AttemptState, cause: string, o: { actor: string; detail?: Record<string, unknown> }): Promise<Attempt> {
  const r = await tx.query<Row>(`SELECT ${COLUMNS}, w.trace_id FROM orch_attempts a JOIN orch_withdrawals w ON w.id = a.withdrawal_id WHERE a.id = $1 FOR UPDATE OF a`, [id]);
  const row = r.rows[0];
  if (row === undefined) throw new OrchestratorError('not_found', 'no such attempt', { attemptId: id });
  if (!allowed(ATTEMPT_TRANSITIONS, row.state, to, cause)) {
    throw new OrchestratorError('illegal_transition', `an attempt does not move from ${row.state} to ${to} on ${cause}`, { attemptId: id, from: row.state, to, cause });
  }
  await tx.query('INSERT INTO orch_attempt_transitions (attempt_id, from_state, to_state, cause, actor, trace_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)', [
    id,
    row.state,
    to,
    cause,
    o.actor,
    row.trace_id!,
    o.detail === undefined ? null : JSON.stringify(o.detail),
  ]);
  await tx.query('UPDATE orch_attempts SET state = $2, updated_at = now() WHERE id = $1', [id, to]);
  return { ...fromRow(row), state: to };
}

/** A withdrawal's attempts, oldest first. */
export async function attemptsOf(db: Queryable, withdrawalId: string): Promise<Attempt[]> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM orch_attempts a WHERE a.withdrawal_id = $1 ORDER BY a.seq`, [withdrawalId]);
  return r.rows.map(fromRow);
}

/** Every attempt at one (chain, from, nonce), oldest first. */
export async function attemptsAtNonce(db: Queryable, chainId: bigint, from: string, nonce: bigint): Promise<Attempt[]> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM orch_attempts a WHERE a.chain_id = $1 AND a.from_address = $2 AND a.nonce = $3::numeric ORDER BY a.seq`, [
    chainId.toString(),
    from.toLowerCase(),
    nonce.toString(),
  ]);
  return r.rows.map(fromRow);
}

const INCLUDED: readonly AttemptState[] = ['included', 'confirmed', 'finalized', 'reverted'];

/** The attempt at that nonce the chain included (a reverted one was included too), or null. */
export async function canonicalAttempt(db: Queryable, chainId: bigint, from: string, nonce: bigint): Promise<Attempt | null> {
  return (await attemptsAtNonce(db, chainId, from, nonce)).find((a) => INCLUDED.includes(a.state)) ?? null;
}
