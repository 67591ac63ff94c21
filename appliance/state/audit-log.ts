// The attested, hash-chained audit log (DESIGN.md invariant 3). Each entry is a COSE_Sign1 (RFC 9052,
// ES256, kid = device id) signed by the device attestation key in the token, over a canonical CBOR
// payload naming its seq, the hash of the entry before it, the time, the trace id and the firmware
// measurement. Entry hash = SHA-256 of the COSE bytes. Appends happen inside the same SQLite
// transaction as the state change they record, so an entry is durable exactly when its effect is.
import { equalBytes } from '../../protocol/bytes.js';
import { createHash } from 'node:crypto';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { auditKindOf, type AuditFields } from '../../protocol/audit-kinds.js';
import { COSE_ALG_ES256, decodeCoseSign1, signCoseSign1Sync } from '../../attestation/cose-sign1.js';
import { currentTraceId } from '../trace.js';
import type { Db } from './db.js';
import { isSealCode, type SealCode } from './seal-codes.js';

export const GENESIS_PREV_HASH = new Uint8Array(32);

/** SHA-256 on OpenSSL: every append hashes its entry, and the boot check the whole log. */
const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

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

/** What a walk over the whole stored log found (the boot check of the sealed state). */
export interface ChainCheck {
  findings: string[];
  head: { seq: number; hash: Uint8Array };
  entries: number;
  /** The last `tamper.detected` entry (with its code and findings). A restore starts a new log, so none follows it. */
  lastSealEvent: { seq: number; code: SealCode | null; findings: string[] } | undefined;
}

const MAX_CHAIN_FINDINGS = 10;

export class AuditLog {
  private readonly headStmt;
  private readonly insertStmt;
  private readonly rangeStmt;
  private readonly allStmt;
  private readonly hashAtStmt;
  private signer: AuditSigner | undefined;
  /** Called after each append (the state seal records the new head in its checkpoint). */
  onAppend: () => void = () => undefined;

  constructor(
    private readonly db: Db,
    private readonly deviceId: string,
  ) {
    this.headStmt = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.insertStmt = db.prepare('INSERT INTO audit (seq, hash, entry) VALUES (?, ?, ?)');
    this.rangeStmt = db.prepare('SELECT seq, hash, entry FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?');
    this.allStmt = db.prepare('SELECT seq, hash, entry FROM audit ORDER BY seq');
    this.hashAtStmt = db.prepare('SELECT hash FROM audit WHERE seq = ?').pluck();
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
  append(time: number, fields: AuditFields): StoredEntry {
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
    this.onAppend();
    return { seq, hash, entry };
  }

  /** The stored hash of entry `seq`, if there is one. */
  hashAt(seq: number): Uint8Array | undefined {
    const h = this.hashAtStmt.get(seq) as Buffer | undefined;
    return h ? new Uint8Array(h) : undefined;
  }

  /**
   * Walks the whole log: contiguous seq from 1, each stored hash the SHA-256 of its entry, each entry
   * naming the hash of the one before and this device. Signatures are not re-verified here: the
   * head is pinned by the sealed checkpoint and the token's anchor, so any edit breaks a hash link.
   */
  checkChain(): ChainCheck {
    const findings: string[] = [];
    const note = (f: string) => {
      if (findings.length < MAX_CHAIN_FINDINGS) findings.push(f);
    };
    let expected = 1;
    let prev: Uint8Array = GENESIS_PREV_HASH;
    let head = { seq: 0, hash: GENESIS_PREV_HASH };
    let entries = 0;
    let lastSealEvent: ChainCheck['lastSealEvent'];
    for (const row of this.allStmt.iterate() as IterableIterator<{ seq: number; hash: Buffer; entry: Buffer }>) {
      entries++;
      const bytes = new Uint8Array(row.entry);
      if (row.seq !== expected) note(`audit log: entries ${expected}…${row.seq - 1} are missing`);
      const actual = sha256(bytes);
      if (!equalBytes(actual, row.hash)) note(`audit entry ${row.seq}: its stored hash does not match its bytes (edited)`);
      let payload: CborMap | undefined;
      try {
        payload = decodeCanonical(decodeCoseSign1(bytes).payload ?? new Uint8Array()) as CborMap;
      } catch {
        note(`audit entry ${row.seq}: not a well-formed signed entry (edited)`);
      }
      if (payload) {
        if (!(payload.prevHash instanceof Uint8Array) || !equalBytes(payload.prevHash, prev))
          note(`audit entry ${row.seq}: does not chain to the entry before it (an entry was edited, removed or reordered)`);
        if (payload.seq !== row.seq || payload.deviceId !== this.deviceId) note(`audit entry ${row.seq}: names seq ${String(payload.seq)} of device ${String(payload.deviceId)}`);
        if (auditKindOf(payload) === 'tamper.detected') {
          const f = Array.isArray(payload.findings) ? payload.findings.filter((x): x is string => typeof x === 'string') : [];
          lastSealEvent = { seq: row.seq, code: isSealCode(payload.code) ? payload.code : null, findings: f };
        }
      }
      prev = actual;
      expected = row.seq + 1;
      head = { seq: row.seq, hash: new Uint8Array(row.hash) };
    }
    return { findings, head, entries, lastSealEvent };
  }

  /**
   * Up to `limit` entries from `fromSeq`, and no more than `maxBytes` of entry bytes in all (the
   * first entry is always included, so a page always moves on).
   */
  list(fromSeq: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): StoredEntry[] {
    const out: StoredEntry[] = [];
    let bytes = 0;
    for (const r of this.rangeStmt.iterate(fromSeq, limit) as IterableIterator<{ seq: number; hash: Buffer; entry: Buffer }>) {
      bytes += r.entry.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push({ seq: r.seq, hash: new Uint8Array(r.hash), entry: new Uint8Array(r.entry) });
    }
    return out;
  }
}
