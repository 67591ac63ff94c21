// The seal over the device's state (docs/sealed-state.md). Every row of a sealed table carries a
// MAC over [table, ...column values]: HMAC-SHA256 under the row key, which the token's seal key (a
// non-extractable HMAC key) derives once per process; the stores compute it on every write and check
// it on the reads that decisions use. (Devices sealed before the row key had each row MACed in the
// token; their rows are MACed again under it once, at the first boot that finds them intact.) The sum of all row MACs (the state digest, seal-digest.ts) and the audit
// head are kept in the one-row table `seal`, re-MACed at the end of every sealed transaction (the
// checkpoint); the token's anchor (sealed-state.ts) pins the latest checkpoint that a response
// depended on. Writes happen only inside `transaction()`, which writes that checkpoint.
import { ApplianceError } from '../../protocol/errors.js';
import type { Db, SealedTable } from './db.js';
import { sealedStateDetails } from './seal-codes.js';
import { SEALED_TABLES } from './db.js';
import { createHmac } from 'node:crypto';
import { checkpointMacInput, CURRENT_ROW_SCHEME, DIGEST_BYTES, digestAdd, rowKeyInput, rowMacInput, ZERO_DIGEST, type Checkpoint, type RowScheme, type SqlValue } from './seal-digest.js';
import { WalSync, type FlushFile } from './wal-sync.js';

/** The token's state-seal key (or, in unit tests and the evaluator benchmark, a software stand-in). */
export interface SealKey {
  /** HMAC-SHA256 of the message, 32 bytes, synchronously (we may be inside a transaction). */
  hmac(message: Uint8Array): Uint8Array;
}

/** The refusal every key-using or state-changing command gets once tampering was found (the contract in docs/sealed-state.md). */
export function tamperedError(findings: readonly string[]): ApplianceError {
  return new ApplianceError('denied', `sealed state broken, the device refuses to act: ${findings.join('; ')}`, sealedStateDetails('state_tampered', findings));
}

/** How many leading columns of each sealed table form its primary key (to name a row in a finding). */
const KEY_COLUMNS: Record<SealedTable, number> = {
  meta: 1,
  keys: 1,
  policies: 1,
  whitelist: 3,
  whitelist_proposals: 1,
  whitelist_approvals: 2,
  requests: 1,
  request_approvals: 2,
  spend: 1,
  policy_proposals: 1,
  policy_proposal_approvals: 2,
  nonce_guard: 3,
  firmware_approvals: 2,
  allowances: 3,
  passkey_counters: 1,
  hd_wallets: 1,
  hd_keys: 1,
};

const MEMO_LIMIT = 8192;
const FINDINGS_PER_TABLE = 3;

/** A row by column name (interfaces of row types are accepted as they are). */
type Row = object;

function describeValue(v: unknown): string {
  if (v instanceof Uint8Array) return '0x' + Buffer.from(v).toString('hex').slice(0, 64);
  const s = String(v);
  return s.length > 48 ? s.slice(0, 48) + '…' : s;
}

const col = (row: Row, c: string): unknown => (row as Record<string, unknown>)[c];

export function describeRow(table: SealedTable, row: Row): string {
  const cols = SEALED_TABLES[table].slice(0, KEY_COLUMNS[table]);
  return `${table} row (${cols.map((c) => `${c}=${describeValue(col(row, c))}`).join(', ')})`;
}

function sameValues(a: readonly SqlValue[], b: readonly SqlValue[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x instanceof Uint8Array) {
      if (!(y instanceof Uint8Array) || Buffer.compare(x, y) !== 0) return false;
    } else if (x !== y) return false;
  }
  return true;
}

interface SealRow {
  gen: number;
  digest: Buffer;
  head_seq: number;
  head_hash: Buffer;
  time: number;
  mac: Buffer;
}

export class StateSeal {
  private key: SealKey | undefined;
  /**
   * The row key (scheme 2): the token's HMAC of `rowKeyInput(deviceId)`, made at the first row MAC of
   * this process and kept in its memory only. A process that can read it can also ask the token for
   * the same HMACs (it holds the logged-in session), so rows are no easier to forge than before; a
   * database edited elsewhere still cannot carry a valid MAC, and the checkpoint (the sum of all row
   * MACs) is still MACed in the token. It saves a token call per row written or first read.
   */
  private rowKey: Buffer | undefined;
  /** How this database's rows are MACed: the current scheme, or 1 until a boot reseals an older device's rows. */
  private scheme: RowScheme = CURRENT_ROW_SCHEME;
  /** MAC (latin1 string) → the column values the token MACed: a verified row read again costs no token call (nor an encoding). */
  private readonly memo = new Map<string, readonly SqlValue[]>();
  private active = false;
  private dirty = false;
  private lastDataVersion: number;
  /** The checkpoint of the last committed sealed transaction. */
  committed: Checkpoint | undefined;
  /**
   * Commits flushed off the event loop (wal-sync.ts), once the running device attaches it; until then
   * every commit is on disk when it returns (`synchronous = FULL`).
   */
  private wal: WalSync<Checkpoint | undefined> | undefined;
  private durableCheckpoint: Checkpoint | undefined;
  /** Every finding reported so far (a read that failed its MAC, or the device's own checks). */
  readonly findings: string[] = [];
  /** Called once per new finding (the device records it in the log and refuses from then on). */
  onFinding: (finding: string) => void = () => undefined;
  /** Called before each outermost sealed transaction (the device looks for foreign writes there). */
  beforeTransaction: () => void = () => undefined;

  private readonly sealRowStmt;
  private readonly insertSealStmt;
  private readonly updateSealStmt;
  private readonly addStmt;
  private readonly subStmt;
  private readonly replaceStmt;
  private readonly headStmt;
  private readonly dataVersionStmt;
  private readonly pendingStmt;
  private readonly addPendingStmt;
  private readonly clearPendingStmt;

  constructor(
    private readonly db: Db,
    readonly deviceId: string,
    private readonly clock: () => number,
  ) {
    this.sealRowStmt = db.prepare('SELECT gen, digest, head_seq, head_hash, time, mac FROM seal WHERE id = 1');
    this.insertSealStmt = db.prepare('INSERT INTO seal (id, gen, digest, head_seq, head_hash, time, mac) VALUES (1, ?, ?, ?, ?, ?, ?)');
    this.updateSealStmt = db.prepare('UPDATE seal SET gen = ?, head_seq = ?, head_hash = ?, time = ?, mac = ? WHERE id = 1');
    this.addStmt = db.prepare('UPDATE seal SET digest = seal_add(digest, ?) WHERE id = 1');
    this.subStmt = db.prepare('UPDATE seal SET digest = seal_sub(digest, ?) WHERE id = 1');
    this.replaceStmt = db.prepare('UPDATE seal SET digest = seal_add(seal_sub(digest, ?), ?) WHERE id = 1');
    this.headStmt = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.dataVersionStmt = db.prepare('PRAGMA data_version').pluck();
    this.pendingStmt = db.prepare('SELECT at, findings FROM tamper_pending ORDER BY id');
    this.addPendingStmt = db.prepare('INSERT INTO tamper_pending (at, findings) VALUES (?, ?)');
    this.clearPendingStmt = db.prepare('DELETE FROM tamper_pending');
    this.lastDataVersion = this.dataVersionStmt.get() as number;
  }

  /** Attaches the seal key; the stored checkpoint (if any) says how the rows are MACed, before any row is read. */
  attachKey(key: SealKey): void {
    this.key = key;
    this.rowKey = undefined;
    this.readCheckpoint();
  }

  hasKey(): boolean {
    return this.key !== undefined;
  }

  // ---- rows ----------------------------------------------------------------------------------

  private values(table: SealedTable, row: Row): SqlValue[] {
    return SEALED_TABLES[table].map((c) => col(row, c) as SqlValue);
  }

  private hmac(message: Uint8Array): Uint8Array {
    if (!this.key) throw new ApplianceError('unavailable', 'the token holds no state-seal key for this device');
    return this.key.hmac(message);
  }

  /** The MAC of a row's MAC input under the database's scheme (the caller checked that a key is attached). */
  private rowMac(key: SealKey, input: Uint8Array, scheme: RowScheme = this.scheme): Uint8Array {
    if (scheme === 1) return key.hmac(input);
    this.rowKey ??= Buffer.from(key.hmac(rowKeyInput(this.deviceId)));
    return new Uint8Array(createHmac('sha256', this.rowKey).update(input).digest());
  }

  private remember(mac: Uint8Array, values: readonly SqlValue[]): void {
    if (this.memo.size >= MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value as string);
    // Byte values are copied: the caller's buffers may be reused.
    this.memo.set(
      Buffer.from(mac).toString('latin1'),
      values.map((v) => (v instanceof Uint8Array ? new Uint8Array(v) : v)),
    );
  }

  /** The MAC of a row's values, made in the token; remembered. */
  private sealValues(table: SealedTable, values: readonly SqlValue[]): Uint8Array {
    if (!this.key) throw new ApplianceError('unavailable', 'the token holds no state-seal key for this device');
    const mac = this.rowMac(this.key, rowMacInput(table, values));
    this.remember(mac, values);
    return mac;
  }

  private assertWritable(): void {
    if (!this.active || !this.db.inTransaction) throw new ApplianceError('internal', 'state write outside a sealed transaction');
  }

  /** The MAC of a new row (given by column name); adds it to the state digest. Use it as the row's `mac`. */
  inserted(table: SealedTable, row: Row): Uint8Array {
    this.assertWritable();
    const mac = this.sealValues(table, this.values(table, row));
    this.addStmt.run(mac);
    this.dirty = true;
    return mac;
  }

  /** The MAC of a row's new version; the old version's MAC leaves the digest. */
  replaced(oldMac: Uint8Array, table: SealedTable, row: Row): Uint8Array {
    this.assertWritable();
    const mac = this.sealValues(table, this.values(table, row));
    this.replaceStmt.run(oldMac, mac);
    this.dirty = true;
    return mac;
  }

  /** A row (with its stored MAC) is being deleted. */
  deleted(mac: Uint8Array): void {
    this.assertWritable();
    this.subStmt.run(mac);
    this.dirty = true;
  }

  /** Whether the row (as read, with its `mac`) is one the token sealed. No report. */
  private genuine(table: SealedTable, row: Row, memoize: boolean): boolean {
    const stored = col(row, 'mac');
    if (!(stored instanceof Uint8Array) || stored.length !== DIGEST_BYTES) return false;
    const values = this.values(table, row);
    const known = this.memo.get(Buffer.from(stored).toString('latin1'));
    if (known && sameValues(known, values)) return true;
    if (!this.key) return false;
    const mac = this.rowMac(this.key, rowMacInput(table, values));
    if (Buffer.compare(Buffer.from(mac), Buffer.from(stored)) !== 0) return false;
    if (memoize) this.remember(mac, values);
    return true;
  }

  /** Checks a row read for display (lists an auditor may read): reports a bad one, returns whether it is genuine. */
  inspect(table: SealedTable, row: Row): boolean {
    if (this.genuine(table, row, true)) return true;
    if (this.key) this.report(`${describeRow(table, row)}: its MAC does not match its contents (edited outside the device)`);
    return false;
  }

  /** Checks a row a decision or an answer depends on: a bad one is reported and the command refused. */
  require(table: SealedTable, row: Row): void {
    if (this.inspect(table, row)) return;
    throw tamperedError(this.findings.length > 0 ? this.findings : ['the token holds no state-seal key for this device']);
  }

  report(finding: string): void {
    if (this.findings.includes(finding)) return;
    this.findings.push(finding);
    this.onFinding(finding);
  }

  /** Recomputes every row's MAC and the digest: findings for rows that fail, and the digest of the stored MACs. */
  scanRows(): { findings: string[]; digest: Uint8Array; rows: number } {
    const findings: string[] = [];
    let digest: Uint8Array = ZERO_DIGEST;
    let rows = 0;
    for (const table of Object.keys(SEALED_TABLES) as SealedTable[]) {
      let bad = 0;
      for (const row of this.db.prepare(`SELECT * FROM ${table}`).iterate() as IterableIterator<Record<string, unknown>>) {
        rows++;
        const mac = row.mac;
        if (mac instanceof Uint8Array && mac.length === DIGEST_BYTES) digest = digestAdd(digest, mac);
        if (this.genuine(table, row, false)) continue;
        if (++bad <= FINDINGS_PER_TABLE) findings.push(`${describeRow(table, row)}: its MAC does not match its contents (edited outside the device)`);
      }
      if (bad > FINDINGS_PER_TABLE) findings.push(`${table}: ${bad - FINDINGS_PER_TABLE} more rows whose MAC does not match`);
    }
    return { findings, digest, rows };
  }

  // ---- durability ------------------------------------------------------------------------------

  /**
   * From now on commits return once written to the log, and reach the disk through `whenDurable()` or
   * `syncNow()` (the serving appliance, appliance/main.ts; docs/sealed-state.md). `path` is the database file.
   */
  flushOffLoop(path: string, flushFile?: FlushFile): void {
    if (this.wal) return;
    this.durableCheckpoint = this.committed;
    this.wal = new WalSync<Checkpoint | undefined>(
      `${path}-wal`,
      (cp) => {
        if (cp && (!this.durableCheckpoint || cp.gen > this.durableCheckpoint.gen)) this.durableCheckpoint = cp;
      },
      flushFile,
    );
    this.db.pragma('synchronous = NORMAL');
  }

  /** The checkpoint of the last sealed transaction known to be on disk (the one the token's anchor may pin). */
  get durable(): Checkpoint | undefined {
    return this.wal ? this.durableCheckpoint : this.committed;
  }

  /** Resolves once everything committed before the call is on disk. */
  whenDurable(): Promise<void> {
    return this.wal ? this.wal.whenDurable() : Promise.resolve();
  }

  /** Puts everything committed so far on disk now, on this thread (a synchronous caller about to release). */
  syncNow(): void {
    this.wal?.syncNow();
  }

  /** Stops flushing off the loop (the database is closing): what is committed is flushed first. */
  closeWal(): void {
    if (!this.wal) return;
    try {
      this.wal.syncNow();
    } finally {
      this.wal.close();
    }
  }

  // ---- transactions and the checkpoint ---------------------------------------------------------

  /** Runs `fn` in a transaction (a savepoint when nested); the outermost one ends with a new checkpoint. */
  transaction<T>(fn: () => T): T {
    if (this.active) return this.db.transaction(fn)();
    if (this.db.inTransaction) throw new ApplianceError('internal', 'a sealed transaction inside a plain one');
    this.beforeTransaction();
    let next: Checkpoint | undefined;
    this.active = true;
    this.dirty = false;
    try {
      const result = this.db.transaction(() => {
        const r = fn();
        next = this.dirty ? this.writeCheckpoint() : undefined;
        return r;
      })();
      if (next) this.committed = next;
      // A sealed change is on disk only after the next flush.
      if (next) this.wal?.committed(next);
      return result;
    } finally {
      this.active = false;
    }
  }

  /** The audit log appended an entry (it moves the head the checkpoint records). */
  touch(): void {
    this.dirty = true;
  }

  /** Creates the checkpoint row of a new device (inside its first sealed transaction). */
  initialize(): void {
    this.assertWritable();
    const cp: Checkpoint = { gen: 0, digest: ZERO_DIGEST, headSeq: 0, headHash: new Uint8Array(32), time: this.clock() };
    this.scheme = CURRENT_ROW_SCHEME;
    this.insertSealStmt.run(cp.gen, cp.digest, cp.headSeq, cp.headHash, cp.time, this.hmac(checkpointMacInput(this.deviceId, cp, this.scheme)));
    this.dirty = true;
  }

  private writeCheckpoint(): Checkpoint {
    const row = this.sealRowStmt.get() as SealRow | undefined;
    if (!row) throw new ApplianceError('internal', 'state has no seal checkpoint');
    const head = this.headStmt.get() as { seq: number; hash: Buffer } | undefined;
    const cp: Checkpoint = {
      gen: row.gen + 1,
      digest: new Uint8Array(row.digest),
      headSeq: head?.seq ?? 0,
      headHash: head ? new Uint8Array(head.hash) : new Uint8Array(32),
      time: Math.max(row.time, this.clock()),
    };
    this.updateSealStmt.run(cp.gen, cp.headSeq, cp.headHash, cp.time, this.hmac(checkpointMacInput(this.deviceId, cp, this.scheme)));
    return cp;
  }

  /**
   * The stored checkpoint and whether its MAC is the token's; undefined when the database has none. A
   * genuine checkpoint also says how its rows are MACed (the scheme its MAC names), and the seal reads
   * rows that way from then on.
   */
  readCheckpoint(): { checkpoint: Checkpoint; genuine: boolean } | undefined {
    const row = this.sealRowStmt.get() as SealRow | undefined;
    if (!row) return undefined;
    const checkpoint: Checkpoint = { gen: row.gen, digest: new Uint8Array(row.digest), headSeq: row.head_seq, headHash: new Uint8Array(row.head_hash), time: row.time };
    const key = this.key;
    if (!key) return { checkpoint, genuine: false };
    const scheme = ([CURRENT_ROW_SCHEME, 1] as const).find((s) => Buffer.compare(Buffer.from(key.hmac(checkpointMacInput(this.deviceId, checkpoint, s))), row.mac) === 0);
    if (scheme !== undefined && scheme !== this.scheme) {
      this.scheme = scheme;
      this.memo.clear();
    }
    return { checkpoint, genuine: scheme !== undefined };
  }

  /** Whether the rows are MACed under an older scheme (a boot that found them intact reseals them). */
  needsReseal(): boolean {
    return this.scheme !== CURRENT_ROW_SCHEME;
  }

  /**
   * MACs every row again under the current scheme and the digest with them, inside a sealed
   * transaction (its checkpoint is then written under the current scheme). Only after a boot check
   * found every row genuine under the old one.
   */
  resealRows(): number {
    this.assertWritable();
    const key = this.key;
    if (!key) throw new ApplianceError('unavailable', 'the token holds no state-seal key for this device');
    let digest: Uint8Array = ZERO_DIGEST;
    let rows = 0;
    for (const table of Object.keys(SEALED_TABLES) as SealedTable[]) {
      const update = this.db.prepare(`UPDATE ${table} SET mac = ? WHERE rowid = ?`);
      for (const row of this.db.prepare(`SELECT rowid AS _rowid, * FROM ${table}`).all() as Record<string, unknown>[]) {
        const mac = this.rowMac(key, rowMacInput(table, this.values(table, row)), CURRENT_ROW_SCHEME);
        update.run(mac, row._rowid);
        digest = digestAdd(digest, mac);
        rows++;
      }
    }
    this.db.prepare('UPDATE seal SET digest = ? WHERE id = 1').run(digest);
    this.scheme = CURRENT_ROW_SCHEME;
    this.memo.clear();
    this.dirty = true;
    return rows;
  }

  /** Whether another connection committed to the database since the last call (this process is its only writer). */
  foreignWrites(): boolean {
    const v = this.dataVersionStmt.get() as number;
    const changed = v !== this.lastDataVersion;
    this.lastDataVersion = v;
    return changed;
  }

  // ---- findings kept while nothing can be sealed (no key in the token) ---------------------------

  pendingFindings(): { at: number; findings: string[] }[] {
    return (this.pendingStmt.all() as { at: number; findings: string }[]).map((r) => ({ at: r.at, findings: JSON.parse(r.findings) as string[] }));
  }

  /** Keeps findings for the next boot that can log them (a plain, unsealed row: it can only add a refusal). */
  keepPending(at: number, findings: readonly string[]): void {
    this.addPendingStmt.run(at, JSON.stringify(findings));
  }

  clearPending(): void {
    this.assertWritable();
    this.clearPendingStmt.run();
  }
}
