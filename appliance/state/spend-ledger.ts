// Spend reservations for rolling-window limits. Each row carries running totals per (key, asset),
// so the usage of any window is two indexed look-ups (latest row, last row before the window):
// no scan over the window, whatever its size. Both look-ups run as one statement: outside a
// transaction every statement is a read transaction of its own (WAL locks, a few system calls),
// which costs more than the look-up itself. Rows are sealed (state-seal.ts): the two rows a usage
// reads are checked against their MACs, and a deleted or replayed row changes the state digest.
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

/** A row of the window statement as its raw mode returns it: which look-up found it, then CUM_COLUMNS. */
type WindowTuple = [part: 0 | 1, id: number, key_id: string, asset: string, at: number, amount: string, cum_amount: string, cum_count: number, request_id: string, mac: Buffer];
const CUM_COLUMNS = 'id, key_id, asset, at, amount, cum_amount, cum_count, request_id, mac';

const cumRow = (t: WindowTuple): CumRow => ({ id: t[1], key_id: t[2], asset: t[3], at: t[4], amount: t[5], cum_amount: t[6], cum_count: t[7], request_id: t[8], mac: t[9] });

export class SpendLedger {
  private readonly lastStmt;
  private readonly windowStmt;
  private readonly nextIdStmt;
  private readonly insertStmt;
  private readonly byRequestStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.lastStmt = db.prepare('SELECT * FROM spend WHERE key_id = ? AND asset = ? ORDER BY at DESC, id DESC LIMIT 1');
    // The first column says which look-up found the row: 0 the latest row, 1 the last row before the
    // window (absent when none). Each half is a search of index spend_window, as lastStmt alone is.
    // Raw mode (arrays): better-sqlite3 builds a row object property by property, which costs more
    // than the look-ups; an object literal (cumRow) is cheap.
    this.windowStmt = db
      .prepare(
        `SELECT 0, ${CUM_COLUMNS} FROM (SELECT * FROM spend WHERE key_id = ? AND asset = ? ORDER BY at DESC, id DESC LIMIT 1) ` +
          `UNION ALL SELECT 1, ${CUM_COLUMNS} FROM (SELECT * FROM spend WHERE key_id = ? AND asset = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1)`,
      )
      .raw();
    this.nextIdStmt = db.prepare('SELECT COALESCE(MAX(id), 0) + 1 FROM spend').pluck();
    this.insertStmt = db.prepare('INSERT INTO spend (id, key_id, asset, at, amount, cum_amount, cum_count, request_id, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.byRequestStmt = db.prepare('SELECT * FROM spend WHERE request_id = ? ORDER BY id');
  }

  private checked(row: CumRow | undefined): CumRow | undefined {
    if (row) this.seal.require('spend', row);
    return row;
  }

  usage(keyId: string, asset: string, since: number): WindowUsage {
    let last: CumRow | undefined;
    let before: CumRow | undefined;
    for (const t of this.windowStmt.all(keyId, asset, keyId, asset, since) as WindowTuple[]) {
      if (t[0] === 0) last = cumRow(t);
      else before = cumRow(t);
    }
    if (!last) return { amount: 0n, count: 0 };
    this.checked(last);
    this.checked(before);
    return {
      amount: BigInt(last.cum_amount) - BigInt(before?.cum_amount ?? '0'),
      count: last.cum_count - (before?.cum_count ?? 0),
    };
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
