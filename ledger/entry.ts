// Journal entries as values, and the checks that need no database: the shape of an entry, its balance
// per asset, and its lines against the transition table for its kind. Amounts are bigint, never
// floats; a fingerprint of the content tells a retry (same entry) from a reused idempotency key.
import { createHash } from 'node:crypto';
import { accountId, type AccountRef } from './accounts.js';
import { LedgerError } from './errors.js';
import { STATES, type AccountKind, type BalanceState } from './kinds.js';
import { ENTRY_KINDS, TRANSITIONS, type EntryKind } from './transitions.js';

/** Links an entry to its withdrawal or deposit (traceId), the bridge request and the appliance's audit entry. */
export interface Trace {
  traceId: string;
  bridgeRequestId?: string;
  auditSeq?: number;
}

export interface LineInput {
  account: AccountRef;
  state: BalanceState;
  amount: bigint;
}

export interface EntryInput {
  kind: Exclude<EntryKind, 'reversal'>;
  idempotencyKey: string;
  trace: Trace;
  lines: LineInput[];
}

export interface Line {
  accountId: string;
  accountKind: AccountKind;
  asset: string;
  state: BalanceState;
  amount: bigint;
}

export interface Entry {
  id: number;
  kind: EntryKind;
  idempotencyKey: string;
  trace: Trace;
  /** The entry this one reverses, for a reversal. */
  reverses: number | null;
  lines: Line[];
}

const MAX_ABS = 10n ** 77n;
const TEXT_RE = /^[\x21-\x7e]{1,200}$/;

export function checkTrace(trace: Trace): void {
  if (typeof trace?.traceId !== 'string' || !TEXT_RE.test(trace.traceId)) throw new LedgerError('bad_entry', 'a trace id (1-200 printable characters) is required');
  if (trace.bridgeRequestId !== undefined && (typeof trace.bridgeRequestId !== 'string' || !TEXT_RE.test(trace.bridgeRequestId))) throw new LedgerError('bad_entry', 'bad bridge request id');
  if (trace.auditSeq !== undefined && !(Number.isSafeInteger(trace.auditSeq) && trace.auditSeq >= 0)) throw new LedgerError('bad_entry', 'bad audit seq');
}

export function checkIdempotencyKey(key: string): void {
  if (typeof key !== 'string' || !TEXT_RE.test(key)) throw new LedgerError('bad_entry', 'an idempotency key (1-200 printable characters) is required');
}

/** The entry's lines with account ids resolved; throws bad_entry on a malformed line. */
export function resolveLines(lines: LineInput[]): Line[] {
  if (!Array.isArray(lines) || lines.length < 2) throw new LedgerError('bad_entry', 'an entry has at least two lines');
  return lines.map((l, i) => {
    if (typeof l.amount !== 'bigint') throw new LedgerError('bad_entry', 'amounts are bigint', { line: i });
    if (l.amount === 0n || l.amount >= MAX_ABS || l.amount <= -MAX_ABS) throw new LedgerError('bad_entry', 'an amount is non-zero and below 10^77', { line: i });
    if (!(STATES as readonly string[]).includes(l.state)) throw new LedgerError('bad_entry', 'bad state', { line: i, state: l.state });
    return { accountId: accountId(l.account), accountKind: l.account.kind, asset: l.account.asset, state: l.state, amount: l.amount };
  });
}

/** Throws `unbalanced` unless the lines of every asset sum to zero. */
export function checkBalanced(lines: Line[]): void {
  const sums = new Map<string, bigint>();
  for (const l of lines) sums.set(l.asset, (sums.get(l.asset) ?? 0n) + l.amount);
  for (const [asset, sum] of sums) if (sum !== 0n) throw new LedgerError('unbalanced', 'the lines of an asset do not sum to zero', { asset, sum: sum.toString() });
}

/** Throws `illegal_transition` unless every line is one the kind allows (and each account nets to zero where the kind moves within accounts). */
export function checkTransition(kind: Exclude<EntryKind, 'reversal'>, lines: Line[]): void {
  const rule = TRANSITIONS[kind];
  if (rule === undefined) throw new LedgerError('bad_entry', 'unknown entry kind', { kind });
  for (const l of lines) {
    const sign = l.amount > 0n ? 1 : -1;
    if (!rule.lines.some((r) => r.account === l.accountKind && r.state === l.state && r.sign === sign)) {
      throw new LedgerError('illegal_transition', `${kind} does not move ${l.accountKind} ${l.state} ${sign > 0 ? 'up' : 'down'}`, { kind, account: l.accountId, state: l.state });
    }
  }
  if (rule.withinAccount) {
    const net = new Map<string, bigint>();
    for (const l of lines) net.set(l.accountId, (net.get(l.accountId) ?? 0n) + l.amount);
    for (const [account, sum] of net) if (sum !== 0n) throw new LedgerError('illegal_transition', `${kind} moves value between states of one account only`, { kind, account });
  }
  if (rule.mirrored) {
    // Per asset, what moves up on customer lines equals what moves up on custody lines.
    const up = new Map<string, bigint>();
    for (const l of lines) if (l.amount > 0n) up.set(`${l.asset}|${l.accountKind}`, (up.get(`${l.asset}|${l.accountKind}`) ?? 0n) + l.amount);
    for (const asset of new Set(lines.map((l) => l.asset))) {
      if ((up.get(`${asset}|customer`) ?? 0n) !== (up.get(`${asset}|custody`) ?? 0n))
        throw new LedgerError('illegal_transition', `${kind} moves the same amount on the customer and the custody address`, { kind, asset });
    }
  }
}

export function isEntryKind(x: string): x is EntryKind {
  return (ENTRY_KINDS as readonly string[]).includes(x);
}

/** SHA-256 over the entry's content in a fixed order (not its id or time). */
export function fingerprint(kind: EntryKind, trace: Trace, reverses: number | null, lines: Line[]): string {
  const content = JSON.stringify([kind, trace.traceId, trace.bridgeRequestId ?? null, trace.auditSeq ?? null, reverses, lines.map((l) => [l.accountId, l.state, l.amount.toString()])]);
  return createHash('sha256').update(content).digest('hex');
}
