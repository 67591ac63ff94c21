// Outstanding ERC-20 allowances per (key, token asset, spender), as the firmware's allowance rule
// keeps them (firmware-policy/rules/token-allowance.ts): an upper bound of what each spender may
// still pull. Written in the same transaction as the decision that read it and the window
// reservation of the grant, before the key is used; rows are sealed (state-seal.ts).
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';
import type { AllowanceView } from '../../firmware-policy/state-view.js';
import type { AllowanceUpdate } from '../../firmware-policy/decision.js';

interface Row {
  key_id: string;
  asset: string;
  spender: Buffer;
  amount: string;
  nonce: string | null;
  request_id: string;
  updated_at: number;
  mac: Buffer;
}

/** A stored allowance with the request that last set it (for a backup; restore writes it back through set()). */
export interface AllowanceRow extends AllowanceUpdate {
  requestId: string;
  now: number;
}

export class AllowanceStore {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.getStmt = db.prepare('SELECT * FROM allowances WHERE key_id = ? AND asset = ? AND spender = ?');
    this.insertStmt = db.prepare('INSERT INTO allowances (key_id, asset, spender, amount, nonce, request_id, updated_at, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.updateStmt = db.prepare('UPDATE allowances SET amount = ?, nonce = ?, request_id = ?, updated_at = ?, mac = ? WHERE key_id = ? AND asset = ? AND spender = ?');
  }

  private row(keyId: string, asset: string, spender: Uint8Array): Row | undefined {
    const r = this.getStmt.get(keyId, asset, Buffer.from(spender)) as Row | undefined;
    if (r) this.seal.require('allowances', r);
    return r;
  }

  get(keyId: string, asset: string, spender: Uint8Array): AllowanceView | undefined {
    const r = this.row(keyId, asset, spender);
    if (!r) return undefined;
    return { amount: BigInt(r.amount), nonce: r.nonce === null ? null : BigInt(r.nonce) };
  }

  /** Records the spender's outstanding allowance after a grant (inside a sealed transaction). */
  set(a: AllowanceUpdate, requestId: string, now: number): void {
    const prior = this.row(a.keyId, a.asset, a.spender);
    const next = {
      key_id: a.keyId,
      asset: a.asset,
      spender: Buffer.from(a.spender),
      amount: a.amount.toString(),
      nonce: a.nonce === null ? null : a.nonce.toString(),
      request_id: requestId,
      updated_at: now,
    };
    if (prior) {
      const mac = this.seal.replaced(prior.mac, 'allowances', next);
      this.updateStmt.run(next.amount, next.nonce, next.request_id, next.updated_at, mac, next.key_id, next.asset, next.spender);
    } else {
      const mac = this.seal.inserted('allowances', next);
      this.insertStmt.run(next.key_id, next.asset, next.spender, next.amount, next.nonce, next.request_id, next.updated_at, mac);
    }
  }

  /** Every stored allowance, in key order. */
  all(db: Db): AllowanceRow[] {
    return (db.prepare('SELECT * FROM allowances ORDER BY key_id, asset, spender').all() as Row[]).map((r) => {
      this.seal.require('allowances', r);
      return {
        keyId: r.key_id,
        asset: r.asset,
        spender: new Uint8Array(r.spender),
        amount: BigInt(r.amount),
        nonce: r.nonce === null ? null : BigInt(r.nonce),
        requestId: r.request_id,
        now: r.updated_at,
      };
    });
  }
}
