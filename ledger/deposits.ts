// The deposits the chain watcher saw and what it posted for each: the row of one inclusion of one
// transfer (chain, transaction, log index or the native marker, block), the customer it credits, its
// status (included, final, removed) and its journal entries. Posting goes through the journal with
// idempotency keys derived from the deposit, its block hash and its row, so running a step twice, or
// crashing between a posting and its row update, never credits twice; and the table keeps one live
// (included or final) row per transfer, so a transfer is credited once whatever the chain does.
import { custodyAccount, customerAccount, openAccount, type AccountRef } from './accounts.js';
import type { Db, Queryable } from './db.js';
import { NATIVE_MARKER, type SeenTransfer } from './deposit-scan.js';
import type { LineInput } from './entry.js';
import { LedgerError } from './errors.js';
import { postEntry, reverseEntry } from './journal.js';

export const DEPOSIT_STATUSES = ['included', 'final', 'removed'] as const;
export type DepositStatus = (typeof DEPOSIT_STATUSES)[number];

export interface Deposit {
  id: number;
  chainId: bigint;
  txHash: string;
  /** The Transfer log's index, or -1 (NATIVE_MARKER) for the transaction's own value. */
  logIndex: number;
  blockNumber: bigint;
  blockHash: string;
  from: string;
  to: string;
  asset: string;
  amount: bigint;
  customer: string;
  status: DepositStatus;
  inclusionEntryId: number | null;
  finalityEntryId: number | null;
  reversalEntryId: number | null;
}

interface Row {
  id: string;
  chain_id: string;
  tx_hash: string;
  log_index: number;
  block_number: string;
  block_hash: string;
  from_address: string;
  to_address: string;
  asset: string;
  amount: string;
  customer: string;
  status: DepositStatus;
  inclusion_entry_id: string | null;
  finality_entry_id: string | null;
  reversal_entry_id: string | null;
}

const COLUMNS =
  'id::text AS id, chain_id::text AS chain_id, tx_hash, log_index, block_number::text AS block_number, block_hash, from_address, to_address, asset, amount::text AS amount, customer, status, inclusion_entry_id::text AS inclusion_entry_id, finality_entry_id::text AS finality_entry_id, reversal_entry_id::text AS reversal_entry_id';

const num = (x: string | null): number | null => (x === null ? null : Number(x));

function fromRow(r: Row): Deposit {
  return {
    id: Number(r.id),
    chainId: BigInt(r.chain_id),
    txHash: r.tx_hash,
    logIndex: r.log_index,
    blockNumber: BigInt(r.block_number),
    blockHash: r.block_hash,
    from: r.from_address,
    to: r.to_address,
    asset: r.asset,
    amount: BigInt(r.amount),
    customer: r.customer,
    status: r.status,
    inclusionEntryId: num(r.inclusion_entry_id),
    finalityEntryId: num(r.finality_entry_id),
    reversalEntryId: num(r.reversal_entry_id),
  };
}

/** The trace id of every entry of a transfer: `deposit:<chainId>:<txhash>:<logIndex|native>`. */
export function depositTraceId(chainId: bigint, txHash: string, logIndex: number): string {
  return `deposit:${chainId}:${txHash}:${logIndex === NATIVE_MARKER ? 'native' : logIndex}`;
}

/** The idempotency key of one posting of one inclusion (the block hash and the row: a re-inclusion is a new posting). */
export function depositKey(d: Pick<Deposit, 'id' | 'chainId' | 'txHash' | 'logIndex' | 'blockHash'>, step: 'inclusion' | 'finality' | 'reversal'): string {
  return `${depositTraceId(d.chainId, d.txHash, d.logIndex)}@${d.blockHash}#${d.id}:${step}`;
}

/** The live (included or final) row of a transfer, or null. */
export async function liveDeposit(db: Queryable, chainId: bigint, txHash: string, logIndex: number): Promise<Deposit | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_deposits WHERE chain_id = $1 AND tx_hash = $2 AND log_index = $3 AND status <> 'removed'`, [
    chainId.toString(),
    txHash.toLowerCase(),
    logIndex,
  ]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}

export interface DepositFilter {
  status?: DepositStatus;
  customer?: string;
  /** Only deposits in blocks above this number. */
  aboveBlock?: bigint;
  /** Only deposits in blocks at or below this number. */
  atOrBelowBlock?: bigint;
}

/** A chain's deposits, in row order. */
export async function listDeposits(db: Queryable, chainId: bigint, f: DepositFilter = {}): Promise<Deposit[]> {
  const r = await db.query<Row>(
    `SELECT ${COLUMNS} FROM ledger_deposits WHERE chain_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR customer = $3)
       AND ($4::bigint IS NULL OR block_number > $4) AND ($5::bigint IS NULL OR block_number <= $5) ORDER BY id`,
    [chainId.toString(), f.status ?? null, f.customer ?? null, f.aboveBlock?.toString() ?? null, f.atOrBelowBlock?.toString() ?? null],
  );
  return r.rows.map(fromRow);
}

export interface DepositPageFilter {
  chainId?: bigint;
  status?: DepositStatus;
  customer?: string;
  /** Deposits to this custody address. */
  to?: string;
  /** Rows with id above this one (the last id of the previous page). */
  afterId?: number;
  /** 1 to 501 (a page of up to 500 and the row that shows another follows). */
  limit: number;
}

/** Deposits of every chain in row order, filtered, one page at a time (the service's GET /v1/deposits). */
export async function pageDeposits(db: Queryable, f: DepositPageFilter): Promise<Deposit[]> {
  const r = await db.query<Row>(
    `SELECT ${COLUMNS} FROM ledger_deposits WHERE ($1::bigint IS NULL OR chain_id = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR customer = $3)
       AND ($4::text IS NULL OR to_address = $4) AND id > $5 ORDER BY id LIMIT $6`,
    [f.chainId?.toString() ?? null, f.status ?? null, f.customer ?? null, f.to?.toLowerCase() ?? null, f.afterId ?? 0, Math.max(1, Math.min(501, f.limit))],
  );
  return r.rows.map(fromRow);
}

export interface Inclusion {
  deposit: Deposit;
  /**
   * `posted`: credited now; `recorded`: credited before in this very block (a repeated step, or a step
   * after a crash); `elsewhere`: credited before in another block, still live (a final deposit seen again
   * after a reorg deeper than finality): not credited again.
   */
  outcome: 'posted' | 'recorded' | 'elsewhere';
}

/** A deposit's inclusion: the customer's Pending +, the receiving custody address's Pending −. */
export function inclusionLines(customer: AccountRef, custody: AccountRef, amount: bigint): LineInput[] {
  return [
    { account: customer, state: 'pending', amount },
    { account: custody, state: 'pending', amount: -amount },
  ];
}

/** A deposit's finality: the customer's Pending → Available, the custody address's Pending → Settled. */
export function finalityLines(customer: AccountRef, custody: AccountRef, amount: bigint): LineInput[] {
  return [
    { account: customer, state: 'pending', amount: -amount },
    { account: customer, state: 'available', amount },
    { account: custody, state: 'pending', amount },
    { account: custody, state: 'settled', amount: -amount },
  ];
}

/**
 * Records the transfer seen in block (number, hash) and posts its inclusion: customer Pending +,
 * custody address Pending −. Safe to repeat: the live row and the idempotency key make it one credit.
 */
export async function recordInclusion(db: Db, chainId: bigint, block: { number: bigint; hash: string }, t: SeenTransfer): Promise<Inclusion> {
  await db.query(
    `INSERT INTO ledger_deposits (chain_id, tx_hash, log_index, block_number, block_hash, from_address, to_address, asset, amount, customer, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric, $10, 'included')
     ON CONFLICT (chain_id, tx_hash, log_index) WHERE status <> 'removed' DO NOTHING`,
    [chainId.toString(), t.txHash, t.logIndex, block.number.toString(), block.hash, t.from, t.to, t.asset, t.amount.toString(), t.customer],
  );
  const d = await liveDeposit(db, chainId, t.txHash, t.logIndex);
  if (d === null) throw new LedgerError('corrupt', 'the deposit row vanished while it was recorded', { txHash: t.txHash, logIndex: t.logIndex });
  if (d.blockHash !== block.hash) return { deposit: d, outcome: 'elsewhere' };
  if (d.inclusionEntryId !== null) return { deposit: d, outcome: 'recorded' };
  const customer = customerAccount(d.customer, d.asset);
  const custody = custodyAccount(d.to, d.asset);
  await openAccount(db, customer);
  await openAccount(db, custody);
  const posted = await postEntry(db, {
    kind: 'deposit.inclusion',
    idempotencyKey: depositKey(d, 'inclusion'),
    trace: { traceId: depositTraceId(d.chainId, d.txHash, d.logIndex) },
    lines: inclusionLines(customer, custody, d.amount),
  });
  await db.query('UPDATE ledger_deposits SET inclusion_entry_id = $2 WHERE id = $1', [d.id, posted.entry.id]);
  return { deposit: { ...d, inclusionEntryId: posted.entry.id }, outcome: posted.duplicate ? 'recorded' : 'posted' };
}

/** What a finality or a removal did: `posted` is false when its entry was posted before (a repeated step, another watcher). */
export interface Recorded {
  deposit: Deposit;
  posted: boolean;
}

/** Posts the finality of an included deposit: customer Pending → Available, custody address Pending → Settled. */
export async function recordFinality(db: Db, d: Deposit): Promise<Recorded> {
  const customer = customerAccount(d.customer, d.asset);
  const custody = custodyAccount(d.to, d.asset);
  const posted = await postEntry(db, {
    kind: 'deposit.finality',
    idempotencyKey: depositKey(d, 'finality'),
    trace: { traceId: depositTraceId(d.chainId, d.txHash, d.logIndex) },
    lines: finalityLines(customer, custody, d.amount),
  });
  await db.query("UPDATE ledger_deposits SET status = 'final', finality_entry_id = $2 WHERE id = $1", [d.id, posted.entry.id]);
  return { deposit: { ...d, status: 'final', finalityEntryId: posted.entry.id }, posted: !posted.duplicate };
}

/** The id of the entry posted under `key`, or null. */
async function entryIdByKey(db: Queryable, key: string): Promise<number | null> {
  const r = await db.query<{ id: string }>('SELECT id::text AS id FROM ledger_entries WHERE idempotency_key = $1', [key]);
  return r.rows[0] === undefined ? null : Number(r.rows[0].id);
}

/**
 * Reverses the inclusion of a deposit whose block left the chain, and marks it removed. Never reverses a
 * final deposit. The journal, not the row, says what was posted (a crash may have left the row behind
 * it): a finality found under its key makes the row final instead (`posted` false, status final), and an
 * inclusion found under its key is reversed even when the row lost its id.
 */
export async function recordRemoval(db: Db, d: Deposit): Promise<Recorded> {
  if (d.status !== 'included') throw new LedgerError('not_reversible', 'only an included deposit is removed', { deposit: d.id, status: d.status });
  const finality = d.finalityEntryId ?? (await entryIdByKey(db, depositKey(d, 'finality')));
  const inclusion = d.inclusionEntryId ?? (await entryIdByKey(db, depositKey(d, 'inclusion')));
  if (finality !== null && inclusion !== null) {
    await db.query("UPDATE ledger_deposits SET status = 'final', inclusion_entry_id = $2, finality_entry_id = $3 WHERE id = $1", [d.id, inclusion, finality]);
    return { deposit: { ...d, status: 'final', inclusionEntryId: inclusion, finalityEntryId: finality }, posted: false };
  }
  let reversal: number | null = null;
  let posted = false;
  if (inclusion !== null) {
    const r = await reverseEntry(db, { entryId: inclusion, idempotencyKey: depositKey(d, 'reversal') });
    reversal = r.entry.id;
    posted = !r.duplicate;
  }
  await db.query("UPDATE ledger_deposits SET status = 'removed', inclusion_entry_id = $2, reversal_entry_id = $3 WHERE id = $1 AND status = 'included'", [d.id, inclusion, reversal]);
  return { deposit: { ...d, status: 'removed', inclusionEntryId: inclusion, reversalEntryId: reversal }, posted };
}
