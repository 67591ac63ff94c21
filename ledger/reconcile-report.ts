// A reconciliation as a report: JSON (amounts as decimal strings, so no precision is lost; the same
// shape is stored in the run's row) and a Markdown table for people.
import type { ExceptionKind, PendingItem, ReconRow, Reconciliation } from './reconcile-types.js';

export interface PendingItemJson {
  accountId: string;
  state: PendingItem['state'];
  amount: string;
}

export interface ReconRowJson {
  address: string;
  role: ReconRow['role'];
  customer?: string;
  asset: string;
  chain: string;
  ledger: string;
  difference: string;
  status: ReconRow['status'];
  pending: PendingItemJson[];
  exception?: { id: number; kind: ExceptionKind; entryId: number };
}

export interface ReconciliationJson {
  id: number;
  chainId: string;
  block: string;
  runAt: string;
  breakCount: number;
  rows: ReconRowJson[];
}

export function rowToJson(r: ReconRow): ReconRowJson {
  const out: ReconRowJson = {
    address: r.address,
    role: r.role,
    asset: r.asset,
    chain: r.chain.toString(),
    ledger: r.ledger.toString(),
    difference: r.difference.toString(),
    status: r.status,
    pending: r.pending.map((p) => ({ accountId: p.accountId, state: p.state, amount: p.amount.toString() })),
  };
  if (r.customer !== undefined) out.customer = r.customer;
  if (r.exception !== undefined) out.exception = { ...r.exception };
  return out;
}

export function rowFromJson(j: ReconRowJson): ReconRow {
  const out: ReconRow = {
    address: j.address,
    role: j.role,
    asset: j.asset,
    chain: BigInt(j.chain),
    ledger: BigInt(j.ledger),
    difference: BigInt(j.difference),
    status: j.status,
    pending: j.pending.map((p) => ({ accountId: p.accountId, state: p.state, amount: BigInt(p.amount) })),
  };
  if (j.customer !== undefined) out.customer = j.customer;
  if (j.exception !== undefined) out.exception = { ...j.exception };
  return out;
}

export function reconciliationJson(r: Reconciliation): ReconciliationJson {
  return { id: r.id, chainId: r.chainId.toString(), block: r.block.toString(), runAt: r.runAt, breakCount: r.breakCount, rows: r.rows.map(rowToJson) };
}

const signed = (n: bigint) => (n > 0n ? `+${n}` : n.toString());

function statusCell(r: ReconRow): string {
  if (r.status === 'ok') return 'ok';
  const e = r.exception;
  return e === undefined ? '**break**' : `**break**: ${e.kind}, exception ${e.id}, entry ${e.entryId}`;
}

function pendingCell(r: ReconRow): string {
  if (r.pending.length === 0) return '';
  return r.pending.map((p) => `${p.accountId} ${p.state} ${p.amount}`).join('<br>');
}

/** The run as a Markdown document: a heading, a summary line and one table row per address and asset. */
export function reconciliationMarkdown(r: Reconciliation): string {
  const lines = [
    `# Reconciliation ${r.id}: chain ${r.chainId} at block ${r.block}`,
    '',
    `Run at ${r.runAt}: ${r.rows.length} ${r.rows.length === 1 ? 'row' : 'rows'}, ${r.breakCount} ${r.breakCount === 1 ? 'break' : 'breaks'}. ` +
      'Ledger is what the journal says the address must hold (minus its custody Settled); in-flight items are listed, not counted.',
    '',
    '| address | role | asset | chain | ledger | difference | status | in flight (not counted) |',
    '|---|---|---|---:|---:|---:|---|---|',
  ];
  for (const row of r.rows) {
    const role = row.customer === undefined ? row.role : `${row.role} (${row.customer})`;
    lines.push(`| ${row.address} | ${role} | ${row.asset} | ${row.chain} | ${row.ledger} | ${signed(row.difference)} | ${statusCell(row)} | ${pendingCell(row)} |`);
  }
  return lines.join('\n') + '\n';
}
