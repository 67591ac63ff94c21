// Spend reservations for rolling-window limits. Each row carries running totals per (key, asset),
// so the usage of any window is two indexed look-ups (latest row, last row before the window):
// no scan over the window, whatever its size. The windows of one evaluation are read by one
// statement (the latest row once, and the last row before each window): outside a transaction every
// statement is a read transaction of its own (WAL locks, a few system calls), which costs more than
// the look-ups. Rows are sealed (state-seal.ts): the rows a usage reads are checked against their
// MACs, and a deleted or replayed row changes the state digest.
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';
import type { WindowUsage } from '../../firmware-policy/state-view.js';

interface CumRow {
  id: number;
  key_id: string;
  asset: string;
  at: number;
  amount: string;
  cum_amount: string;
  cum_count: number;
  request_id: string;
  mac: Buffer;
}

/** A row of a windows statement as its raw mode returns it: which look-up found it, then CUM_COLUMNS. */
type WindowTuple = [part: number, id: number, key_id: string, asset: string, at: number, amount: string, cum_amount: string, cum_count: number, request_id: string, mac: Buffer];
const CUM_COLUMNS = 'id, key_id, asset, at, amount, cum_amount, cum_count, request_id, mac';

const cumRow = (t: WindowTuple): CumRow => ({ id: t[1], key_id: t[2], asset: t[3], at: t[4], amount: t[5], cum_amount: t[6], cum_count: t[7], request_id: t[8], mac: t[9] });

export class SpendLedger {
  private readonly lastStmt;
  /** The windows statement for n windows (an evaluation has one per window of the asset: few). */
  private readonly windowsStmts = new Map<number, Statement>();
  private readonly nextIdStmt;
  private readonly insertStmt;
  private readonly byRequestStmt;

  constructor(
    private readonly db: Db,
    private readonly seal: StateSeal,
  ) {
    this.lastStmt = db.prepare('SELECT * FROM spend WHERE key_id = ? AND asset = ? ORDER BY at DESC, id DESC LIMIT 1');
    this.nextIdStmt = db.prepare('SELECT COALESCE(MAX(id), 0) + 1 FROM spend').pluck();
    this.insertStmt = db.prepare('INSERT INTO spend (id, key_id, asset, at, amount, cum_amount, cum_count, request_id, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.byRequestStmt = db.prepare('SELECT * FROM spend WHERE request_id = ? ORDER BY id');
  }

  private checked(row: CumRow | undefined): CumRow | undefined {
    if (row) this.seal.require('spend', row);
    return row;
  }

  usage(keyId: string, asset: string, since: number): WindowUsage {
    return this.usages(keyId, asset, [since])[0]!;
  }

  /** The usage of each window (`sinces`, in that order), read by one statement. */
  usages(keyId: string, asset: string, sinces: readonly number[]): WindowUsage[] {
    if (sinces.length === 0) return [];
    const args: (string | number)[] = [keyId, asset];
    for (const since of sinces) args.push(keyId, asset, since);
    let last: CumRow | undefined;
    const before: (CumRow | undefined)[] = sinces.map(() => undefined);
    for (const t of this.windowsStmt(sinces.length).all(args) as WindowTuple[]) {
      if (t[0] === 0) last = cumRow(t);
      else before[t[0] - 1] = cumRow(t);
    }
    if (!last) return sinces.map(() => ({ amount: 0n, count: 0 }));
    this.checked(last);
    const amount = BigInt(last.cum_amount);
    const count = last.cum_count;
    return before.map((b) => {
      this.checked(b);
      return { amount: amount - BigInt(b?.cum_amount ?? '0'), count: count - (b?.cum_count ?? 0) };
    });
  }

  /**
   * One statement for n windows. The first column says which look-up found the row: 0 the latest
   * row, i the last row before window i (absent when none). Each part is a search of index
   * spend_window, as lastStmt alone is. Raw mode (arrays): better-sqlite3 builds a row object
   * property by property, which costs more than the look-ups; an object literal (cumRow) is cheap.
   */
  private windowsStmt(n: number): Statement {
    let stmt = this.windowsStmts.get(n);
    if (!stmt) {
      const parts = [`SELECT 0, ${CUM_COLUMNS} FROM (SELECT * FROM spend WHERE key_id = ? AND asset = ? ORDER BY at DESC, id DESC LIMIT 1)`];
      for (let i = 1; i <= n; i++) parts.push(`SELECT ${i}, ${CUM_COLUMNS} FROM (SELECT * FROM spend WHERE key_id = ? AND asset = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1)`);
      stmt = this.db.prepare(parts.join(' UNION ALL ')).raw();
      this.windowsStmts.set(n, stmt);
    }
    return stmt;
  }

  /** Records a reservation; times never go backwards per (key, asset), so the running totals stay ordered. */
  reserve(keyId: string, asset: string, amount: bigint, now: number, requestId: string): void {
    const last = this.checked(this.lastStmt.get(keyId, asset) as CumRow | undefined);
    const row = {
      id: this.nextIdStmt.get() as number,
      key_id: keyId,
      asset,
      at: Math.max(now, last?.at ?? 0),
      amount: amount.toString(),
      cum_amount: (BigInt(last?.cum_amount ?? '0') + amount).toString(),
      cum_count: (last?.cum_count ?? 0) + 1,
      request_id: requestId,
    };
    const mac = this.seal.inserted('spend', row);
    this.insertStmt.run(row.id, row.key_id, row.asset, row.at, row.amount, row.cum_amount, row.cum_count, row.request_id, mac);
  }

  /** The reservations made for one request (boot recovery audits those it keeps). */
  reservationsOf(requestId: string): { keyId: string; asset: string; amount: bigint; at: number }[] {
    return (this.byRequestStmt.all(requestId) as CumRow[]).map((r) => {
      this.seal.require('spend', r);
      return { keyId: r.key_id, asset: r.asset, amount: BigInt(r.amount), at: r.at };
    });
  }

  reservationsFor(requestId: string): number {
    return this.reservationsOf(requestId).length;
  }

  /** Every reservation in order (for a backup; restore replays them through reserve()). */
  all(db: Db): SpendRow[] {
    return (db.prepare('SELECT key_id, asset, at, amount, request_id FROM spend ORDER BY id').all() as { key_id: string; asset: string; at: number; amount: string; request_id: string }[]).map(
      (r) => ({
        keyId: r.key_id,
        asset: r.asset,
        at: r.at,
        amount: BigInt(r.amount),
        requestId: r.request_id,
      }),
    );
  }
}

export interface SpendRow {
  keyId: string;
  asset: string;
  at: number;
  amount: bigint;
  requestId: string;
}
