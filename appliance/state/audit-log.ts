// The hash-chained audit log. Each entry is canonical CBOR naming its seq and the hash of the entry
// before it; entry hash = SHA-256 of the stored bytes. Appends happen inside the same SQLite
// transaction as the state change they record, so an entry is durable exactly when its effect is.
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import type { Db } from './db.js';

export const GENESIS_PREV_HASH = new Uint8Array(32);

export interface StoredEntry {
  seq: number;
  hash: Uint8Array;
  entry: Uint8Array;
}

export class AuditLog {
  private readonly headStmt;
  private readonly insertStmt;
  private readonly rangeStmt;

  constructor(
    private readonly db: Db,
    private readonly deviceId: string,
  ) {
    this.headStmt = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.insertStmt = db.prepare('INSERT INTO audit (seq, hash, entry) VALUES (?, ?, ?)');
    this.rangeStmt = db.prepare('SELECT seq, hash, entry FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?');
  }

  head(): { seq: number; hash: Uint8Array } {
    const row = this.headStmt.get() as { seq: number; hash: Buffer } | undefined;
    return row ? { seq: row.seq, hash: new Uint8Array(row.hash) } : { seq: 0, hash: GENESIS_PREV_HASH };
  }

  /** Appends one entry; must run inside the transaction that makes the recorded change. */
  append(time: number, fields: CborMap): StoredEntry {
    if (!this.db.inTransaction) throw new ApplianceError('internal', 'audit append outside a transaction');
    const prev = this.head();
    const seq = prev.seq + 1;
    const entry = encodeCanonical({ ...fields, seq, prevHash: prev.hash, time, deviceId: this.deviceId });
    const hash = sha256(entry);
    this.insertStmt.run(seq, hash, entry);
    return { seq, hash, entry };
  }

  list(fromSeq: number, limit: number): StoredEntry[] {
    return (this.rangeStmt.all(fromSeq, limit) as { seq: number; hash: Buffer; entry: Buffer }[]).map((r) => ({
      seq: r.seq,
      hash: new Uint8Array(r.hash),
      entry: new Uint8Array(r.entry),
    }));
  }
}
