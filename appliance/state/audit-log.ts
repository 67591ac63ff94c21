// The attested, hash-chained audit log (DESIGN.md invariant 3). Each entry is a COSE_Sign1 (RFC 9052,
// ES256, kid = device id) signed by the device attestation key in the token, over a canonical CBOR
// payload naming its seq, the hash of the entry before it, the time, the trace id and the firmware
// measurement. Entry hash = SHA-256 of the COSE bytes. Appends happen inside the same SQLite
// transaction as the state change they record, so an entry is durable exactly when its effect is.
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { COSE_ALG_ES256, signCoseSign1Sync } from '../../attestation/cose-sign1.js';
import { currentTraceId } from '../trace.js';
import type { Db } from './db.js';

export const GENESIS_PREV_HASH = new Uint8Array(32);

export interface StoredEntry {
  seq: number;
  hash: Uint8Array;
  /** COSE_Sign1 bytes. */
  entry: Uint8Array;
}

export interface AuditSigner {
  /** ES256 over the bytes, raw r||s, synchronously (we are inside a transaction). */
  sign(toBeSigned: Uint8Array): Uint8Array;
  /** The firmware measurement this device runs, recorded in every entry. */
  measurement: Uint8Array;
}

export class AuditLog {
  private readonly headStmt;
  private readonly insertStmt;
  private readonly rangeStmt;
  private signer: AuditSigner | undefined;

  constructor(
    private readonly db: Db,
    private readonly deviceId: string,
  ) {
    this.headStmt = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.insertStmt = db.prepare('INSERT INTO audit (seq, hash, entry) VALUES (?, ?, ?)');
    this.rangeStmt = db.prepare('SELECT seq, hash, entry FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?');
  }

  /** Attaches the device key that signs entries; until then the log refuses appends. */
  attachSigner(signer: AuditSigner): void {
    this.signer = signer;
  }

  head(): { seq: number; hash: Uint8Array } {
    const row = this.headStmt.get() as { seq: number; hash: Buffer } | undefined;
    return row ? { seq: row.seq, hash: new Uint8Array(row.hash) } : { seq: 0, hash: GENESIS_PREV_HASH };
  }

  /** Appends one entry; must run inside the transaction that makes the recorded change. */
  append(time: number, fields: CborMap): StoredEntry {
    if (!this.db.inTransaction) throw new ApplianceError('internal', 'audit append outside a transaction');
    const signer = this.signer;
    if (!signer) throw new ApplianceError('unavailable', 'device has no attestation key yet');
    const prev = this.head();
    const seq = prev.seq + 1;
    const payload = encodeCanonical({
      ...fields,
      seq,
      prevHash: prev.hash,
      time,
      deviceId: this.deviceId,
      traceId: currentTraceId(),
      measurement: signer.measurement,
    });
    const entry = signCoseSign1Sync({ alg: COSE_ALG_ES256, kid: this.deviceId, payload, sign: (tbs) => signer.sign(tbs) });
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
