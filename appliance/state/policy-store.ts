// Stored policy versions; the active policy is the highest activated version.
import { decodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { encodePolicy, parsePolicy, policyHash, type PolicyDocument } from '../../firmware-policy/policy-document.js';
import type { Db } from './db.js';

export interface ActivePolicy {
  doc: PolicyDocument;
  hash: Uint8Array;
  encoded: Uint8Array;
  activatedAt: number;
}

export class PolicyStore {
  private readonly activeStmt;
  private readonly insertStmt;
  private readonly versionStmt;
  private active: ActivePolicy | undefined;

  constructor(db: Db) {
    this.activeStmt = db.prepare('SELECT version, hash, doc, activated_at FROM policies ORDER BY version DESC LIMIT 1');
    this.insertStmt = db.prepare('INSERT INTO policies (version, hash, doc, activated_at) VALUES (?, ?, ?, ?)');
    this.versionStmt = db.prepare('SELECT version, hash, doc, activated_at FROM policies WHERE version = ?');
  }

  /** An activated version (the active one or an earlier one). */
  version(v: number): ActivePolicy | undefined {
    const row = this.versionStmt.get(v) as { hash: Buffer; doc: Buffer; activated_at: number } | undefined;
    if (!row) return undefined;
    const encoded = new Uint8Array(row.doc);
    return { doc: parsePolicy(decodeCanonical(encoded)), hash: new Uint8Array(row.hash), encoded, activatedAt: row.activated_at };
  }

  /** The active policy, parsed once and cached until the next activation. */
  current(): ActivePolicy {
    if (this.active) return this.active;
    const row = this.activeStmt.get() as { hash: Buffer; doc: Buffer; activated_at: number } | undefined;
    if (!row) throw new ApplianceError('unavailable', 'device has no active policy');
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
    this.insertStmt.run(doc.version, hash, encoded, now);
    this.active = { doc, hash, encoded, activatedAt: now };
    return this.active;
  }
}
