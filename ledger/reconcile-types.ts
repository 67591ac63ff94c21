// The values of a reconciliation: one row per (custody address, asset) comparing the chain with the
// ledger at one final block, the in-flight items listed beside it, and the run that holds the rows.
import type { AddressRole } from './custody-addresses.js';

export const EXCEPTION_KINDS = ['unknown_inflow', 'missing_outflow'] as const;
/** unknown_inflow: the chain holds more than the ledger says; missing_outflow: it holds less. */
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

/** A balance the row lists as in flight: not final at the block, so not counted in the comparison. */
export interface PendingItem {
  accountId: string;
  state: 'reserved' | 'pending';
  amount: bigint;
}

export interface ReconRow {
  address: string;
  role: AddressRole;
  /** The customer of a deposit address. */
  customer?: string;
  asset: string;
  /** The balance on chain at the run's block. */
  chain: bigint;
  /** What the ledger says the address must hold: minus the Settled of its custody account (before any suspense posting of this run). */
  ledger: bigint;
  /** chain - ledger; zero when status is ok. */
  difference: bigint;
  status: 'ok' | 'break';
  pending: PendingItem[];
  /** For a break: the exception opened and the suspense entry that absorbed the difference. */
  exception?: { id: number; kind: ExceptionKind; entryId: number };
}

export interface Reconciliation {
  id: number;
  chainId: bigint;
  block: bigint;
  runAt: string;
  rows: ReconRow[];
  breakCount: number;
}
