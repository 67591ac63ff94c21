// Replay: every balance recomputed from an empty state by applying the journal in order, checking at
// each entry what posting checked (balance per asset, reversal of an earlier entry with its lines
// negated, no customer state below zero), then compared with the stored balances.
import { zeroAmounts, allBalances, type StateAmounts } from './balances.js';
import type { Queryable } from './db.js';
import { checkBalanced, checkTransition, type Entry } from './entry.js';
import { LedgerError } from './errors.js';
import { STATES } from './kinds.js';
import { listEntries } from './journal.js';
import { NON_NEGATIVE } from './transitions.js';

const PAGE = 1000;

export interface ReplayResult {
  entries: number;
  balances: Map<string, StateAmounts>;
}

/** Balances from the journal alone. Throws `corrupt` at the first entry posting would have refused. */
export async function replayJournal(db: Queryable): Promise<ReplayResult> {
  const balances = new Map<string, StateAmounts>();
  const seen = new Map<number, Entry>();
  const reversed = new Set<number>();
  let after = 0;
  let count = 0;
  for (;;) {
    const page = await listEntries(db, after, PAGE);
    if (page.length === 0) break;
    for (const e of page) {
      applyEntry(balances, e, seen, reversed);
      after = e.id;
      count++;
    }
  }
  return { entries: count, balances };
}

function corrupt(e: Entry, why: string): LedgerError {
  return new LedgerError('corrupt', `journal entry ${e.id}: ${why}`, { entryId: e.id });
}

function applyEntry(balances: Map<string, StateAmounts>, e: Entry, seen: Map<number, Entry>, reversed: Set<number>): void {
  try {
    checkBalanced(e.lines);
    if (e.kind !== 'reversal') checkTransition(e.kind, e.lines);
  } catch (err) {
    throw corrupt(e, (err as Error).message);
  }
  if (e.kind === 'reversal') {
    const original = e.reverses === null ? undefined : seen.get(e.reverses);
    if (original === undefined || original.kind === 'reversal' || reversed.has(original.id)) throw corrupt(e, `a reversal of no earlier, reversible entry (${e.reverses})`);
    const same = original.lines.length === e.lines.length && original.lines.every((l, i) => l.accountId === e.lines[i]!.accountId && l.state === e.lines[i]!.state && l.amount === -e.lines[i]!.amount);
    if (!same) throw corrupt(e, "a reversal's lines are not the original's negated");
    reversed.add(original.id);
  }
  seen.set(e.id, { ...e, lines: e.lines });
  for (const l of e.lines) {
    let b = balances.get(l.accountId);
    if (b === undefined) balances.set(l.accountId, (b = zeroAmounts()));
    b[l.state] += l.amount;
  }
  for (const l of e.lines) {
    if (balances.get(l.accountId)![l.state] < 0n && NON_NEGATIVE[l.accountKind].includes(l.state)) throw corrupt(e, `${l.accountId} ${l.state} below zero`);
  }
}

export interface ReplayCheck {
  entries: number;
  /** Accounts whose stored balances differ from the replayed ones (empty when the ledger is consistent). */
  differences: { accountId: string; state: string; stored: bigint; replayed: bigint }[];
}

/** Replays the journal and compares with the stored balances of every account. */
export async function checkReplay(db: Queryable): Promise<ReplayCheck> {
  const { entries, balances } = await replayJournal(db);
  const stored = await allBalances(db);
  const differences: ReplayCheck['differences'] = [];
  const ids = new Set([...stored.keys(), ...balances.keys()]);
  for (const id of [...ids].sort()) {
    const s = stored.get(id);
    const r = balances.get(id) ?? zeroAmounts();
    for (const state of STATES) {
      const sv = s === undefined ? 0n : s[state];
      if (sv !== r[state]) differences.push({ accountId: id, state, stored: sv, replayed: r[state] });
    }
  }
  return { entries, differences };
}
