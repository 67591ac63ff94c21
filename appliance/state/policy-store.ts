// Stored policy versions; the active policy is the highest activated version. Rows are sealed; the
// active one is checked when it is loaded (at boot, before any decision) and then kept in memory.
import { decodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { encodePolicy, parsePolicy, policyHash, type PolicyDocument } from '../../firmware-policy/policy-document.js';
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';

export interface ActivePolicy {
  doc: PolicyDocument;
  hash: Uint8Array;
  encoded: Uint8Array;
  activatedAt: number;
}

interface Row {
  version: number;
  hash: Buffer;
  doc: Buffer;
  activated_at: number;
  mac: Buffer;
}

export class PolicyStore {
  private readonly activeStmt;
  private readonly insertStmt;
  private readonly versionStmt;
  private active: ActivePolicy | undefined;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.activeStmt = db.prepare('SELECT * FROM policies ORDER BY version DESC LIMIT 1');
    this.insertStmt = db.prepare('INSERT INTO policies (version, hash, doc, activated_at, mac) VALUES (?, ?, ?, ?, ?)');
    this.versionStmt = db.prepare('SELECT * FROM policies WHERE version = ?');
  }

  /** An activated version (the active one or an earlier one). */
  version(v: number): ActivePolicy | undefined {
    const row = this.versionStmt.get(v) as Row | undefined;
    if (!row) return undefined;
    this.seal.inspect('policies', row);
    const encoded = new Uint8Array(row.doc);
    return { doc: parsePolicy(decodeCanonical(encoded)), hash: new Uint8Array(row.hash), encoded, activatedAt: row.activated_at };
  }

  /**
   * The active policy, parsed once and cached until the next activation. A row that fails its MAC is
   * reported (the device then refuses every decision) but still returned, so policy.get can show it.
   */
  current(): ActivePolicy {
    if (this.active) return this.active;
    const row = this.activeStmt.get() as Row | undefined;
    if (!row) throw new ApplianceError('unavailable', 'device has no active policy');
    this.seal.inspect('policies', row);
    const encoded = new Uint8Array(row.doc);
    this.active = { doc: parsePolicy(decodeCanonical(encoded)), hash: new Uint8Array(row.hash), encoded, activatedAt: row.activated_at };
    return this.active;
  }

  hasPolicy(): boolean {
    return this.activeStmt.get() !== undefined;
  }

  /** Stores and activates a version; must run inside the transaction that audits it. */
  activate(doc: PolicyDocument, now: number): ActivePolicy {
    const encoded = encodePolicy(doc);
    const hash = policyHash(doc);
    this.insertStmt.run(doc.version, hash, encoded, now, this.seal.inserted('policies', { version: doc.version, hash, doc: encoded, activated_at: now }));
    this.active = { doc, hash, encoded, activatedAt: now };
    return this.active;
  }
}
