// The balance states and, as data, the lines each kind of journal entry may have: for a kind, which
// (account kind, state, direction) lines are allowed, and whether each account's lines must net to zero
// (a move between states inside one account) or the entry moves value between accounts.
//
// Sign convention: a customer's balance is what the custody owes the customer (positive); a custody
// address's balance is the negative mirror of what it holds on chain, so every entry sums to zero per
// asset. The fee account accumulates fees paid as a negative amount.
import type { AccountKind, BalanceState } from './kinds.js';

export const ENTRY_KINDS = [
  'withdrawal.request',
  'withdrawal.broadcast',
  'withdrawal.finality',
  'withdrawal.cancel',
  'withdrawal.failure',
  'deposit.inclusion',
  'deposit.finality',
  'suspense.inflow',
  'sweep',
  'suspense.outflow',
  'withdrawal.fee',
  'reversal',
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface LineRule {
  account: AccountKind;
  state: BalanceState;
  /** +1: the line must be positive; -1: negative. */
  sign: 1 | -1;
}

export interface KindRule {
  lines: LineRule[];
  /** Each account's lines net to zero: value moves between states of one account, not between accounts. */
  withinAccount: boolean;
  /** Each asset's customer lines and custody lines move the same amount (a deposit's finality on both sides). */
  mirrored?: boolean;
  what: string;
}

const r = (account: AccountKind, state: BalanceState, sign: 1 | -1): LineRule => ({ account, state, sign });

/** 'reversal' is not listed: a reversal's lines are the original's, negated (journal.ts). */
export const TRANSITIONS: Record<Exclude<EntryKind, 'reversal'>, KindRule> = {
  'withdrawal.request': { what: 'Available → Reserved', withinAccount: true, lines: [r('customer', 'available', -1), r('customer', 'reserved', 1)] },
  'withdrawal.broadcast': { what: 'Reserved → Pending', withinAccount: true, lines: [r('customer', 'reserved', -1), r('customer', 'pending', 1)] },
  'withdrawal.finality': {
    what: "Pending → out of the customer's account; the custody address's Settled falls by amount and fee; the fee to the fee account",
    withinAccount: false,
    lines: [r('customer', 'pending', -1), r('custody', 'settled', 1), r('fees', 'settled', -1)],
  },
  'withdrawal.cancel': { what: 'Reserved → Available (cancel or expiry before broadcast)', withinAccount: true, lines: [r('customer', 'reserved', -1), r('customer', 'available', 1)] },
  'withdrawal.failure': {
    what: 'Pending → Available (failed after broadcast, or its cancel transaction final)',
    withinAccount: true,
    lines: [r('customer', 'pending', -1), r('customer', 'available', 1)],
  },
  'deposit.inclusion': { what: '→ Pending, on the customer and on the receiving custody address', withinAccount: false, lines: [r('customer', 'pending', 1), r('custody', 'pending', -1)] },
  'deposit.finality': {
    what: 'Pending → Available (customer) and Pending → Settled (custody address)',
    withinAccount: true,
    mirrored: true,
    lines: [r('customer', 'pending', -1), r('customer', 'available', 1), r('custody', 'pending', 1), r('custody', 'settled', -1)],
  },
  'suspense.inflow': { what: 'an unmatched inflow into a custody address, held in suspense', withinAccount: false, lines: [r('custody', 'settled', -1), r('suspense', 'settled', 1)] },
  sweep: {
    what: "a deposit address's funds to its group's hot address at finality: the deposit address's Settled rises by amount and fee, the hot address's falls by the amount, the fee to the fee account",
    withinAccount: false,
    lines: [r('custody', 'settled', 1), r('custody', 'settled', -1), r('fees', 'settled', -1)],
  },
  'withdrawal.fee': {
    what: "the network fee of a transaction that moved nothing else (included but reverted, or a cancel): the custody address's Settled rises by the fee, the fee to the fee account",
    withinAccount: false,
    lines: [r('custody', 'settled', 1), r('fees', 'settled', -1)],
  },
  'suspense.outflow': {
    what: 'value that left a custody address without a posting (a missing outflow), held in suspense',
    withinAccount: false,
    lines: [r('custody', 'settled', 1), r('suspense', 'settled', -1)],
  },
};

/**
 * States that may never go below zero, by account kind. Custody and fee balances are negative by
 * convention. Suspense has no floor: a missing outflow (the chain holds less than the ledger says)
 * puts a negative amount there, value lost until it is explained, and it may come before any inflow.
 */
export const NON_NEGATIVE: Record<AccountKind, readonly BalanceState[]> = {
  customer: ['available', 'reserved', 'pending', 'settled'],
  custody: [],
  fees: [],
  suspense: [],
};
