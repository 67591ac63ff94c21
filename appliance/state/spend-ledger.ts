// Spend reservations for rolling-window limits. Each row carries running totals per (key, asset),
// so the usage of any window is two indexed look-ups (latest row, last row before the window):
// no scan over the window, whatever its size.
import type { Db } from './db.js';
import type { WindowUsage } from '../../firmware-policy/state-view.js';

interface CumRow {
  at: number;
  cum_amount: string;
  cum_count: number;
}

export class SpendLedger {
  private readonly lastStmt;
  private readonly beforeStmt;
  private readonly insertStmt;
  private readonly byRequestStmt;

  constructor(db: Db) {
    this.lastStmt = db.prepare('SELECT at, cum_amount, cum_count FROM spend WHERE key_id = ? AND asset = ? ORDER BY at DESC, id DESC LIMIT 1');
    this.beforeStmt = db.prepare(
      'SELECT at, cum_amount, cum_count FROM spend WHERE key_id = ? AND asset = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1',
    );
    this.insertStmt = db.prepare(
      'INSERT INTO spend (key_id, asset, at, amount, cum_amount, cum_count, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.byRequestStmt = db.prepare('SELECT COUNT(*) AS n FROM spend WHERE request_id = ?');
  }

  usage(keyId: string, asset: string, since: number): WindowUsage {
    const last = this.lastStmt.get(keyId, asset) as CumRow | undefined;
    if (!last) return { amount: 0n, count: 0 };
    const before = this.beforeStmt.get(keyId, asset, since) as CumRow | undefined;
    return {
      amount: BigInt(last.cum_amount) - BigInt(before?.cum_amount ?? '0'),
      count: last.cum_count - (before?.cum_count ?? 0),
    };
  }

  /** Records a reservation; times never go backwards per (key, asset), so the running totals stay ordered. */
  reserve(keyId: string, asset: string, amount: bigint, now: number, requestId: string): void {
    const last = this.lastStmt.get(keyId, asset) as CumRow | undefined;
    const at = Math.max(now, last?.at ?? 0);
    const cum = BigInt(last?.cum_amount ?? '0') + amount;
    this.insertStmt.run(keyId, asset, at, amount.toString(), cum.toString(), (last?.cum_count ?? 0) + 1, requestId);
  }

  reservationsFor(requestId: string): number {
    return (this.byRequestStmt.get(requestId) as { n: number }).n;
  }

  /** Every reservation in order (for a backup; restore replays them through reserve()). */
  all(db: Db): SpendRow[] {
    return (db.prepare('SELECT key_id, asset, at, amount, request_id FROM spend ORDER BY id').all() as { key_id: string; asset: string; at: number; amount: string; request_id: string }[]).map((r) => ({
      keyId: r.key_id,
      asset: r.asset,
      at: r.at,
      amount: BigInt(r.amount),
      requestId: r.request_id,
    }));
  }
}

export interface SpendRow {
  keyId: string;
  asset: string;
  at: number;
  amount: bigint;
  requestId: string;
}
