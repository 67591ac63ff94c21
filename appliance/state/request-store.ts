// Requests by idempotency key: the request's hash, its status and the stored response. A retry
// with the same key and the same request gets the stored response; never a second signature.
import type { Db } from './db.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';

export type RequestStatus = 'denied' | 'pending' | 'reserved' | 'signed' | 'aborted';

export interface RequestRecord {
  requestId: string;
  requestHash: Uint8Array;
  kind: string;
  status: RequestStatus;
  requester: string;
  keyId: string | null;
  intentDigest: Uint8Array | null;
  /** Canonical CBOR of the command's arguments, to resume or re-evaluate. */
  args: Uint8Array;
  createdAt: number;
  updatedAt: number;
  /** Canonical CBOR of the stored response (absent while reserved and not yet signed). */
  response: Uint8Array | null;
}

interface Row {
  request_id: string;
  request_hash: Buffer;
  kind: string;
  status: RequestStatus;
  requester: string;
  key_id: string | null;
  intent_digest: Buffer | null;
  args: Buffer;
  created_at: number;
  updated_at: number;
  response: Buffer | null;
}

const u8 = (b: Buffer | null) => (b ? new Uint8Array(b) : null);

export class RequestStore {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly approvalsStmt;
  private readonly addApprovalStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT * FROM requests WHERE request_id = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO requests (request_id, request_hash, kind, status, requester, key_id, intent_digest, args, created_at, updated_at, response)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateStmt = db.prepare('UPDATE requests SET status = ?, response = ?, updated_at = ? WHERE request_id = ?');
    this.approvalsStmt = db.prepare('SELECT approver_id, expires_at, signature FROM request_approvals WHERE request_id = ? ORDER BY rowid');
    this.addApprovalStmt = db.prepare(
      'INSERT OR IGNORE INTO request_approvals (request_id, approver_id, expires_at, signature) VALUES (?, ?, ?, ?)',
    );
  }

  get(requestId: string): RequestRecord | undefined {
    const r = this.getStmt.get(requestId) as Row | undefined;
    if (!r) return undefined;
    return {
      requestId: r.request_id,
      requestHash: new Uint8Array(r.request_hash),
      kind: r.kind,
      status: r.status,
      requester: r.requester,
      keyId: r.key_id,
      intentDigest: u8(r.intent_digest),
      args: new Uint8Array(r.args),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      response: u8(r.response),
    };
  }

  insert(r: RequestRecord): void {
    this.insertStmt.run(r.requestId, r.requestHash, r.kind, r.status, r.requester, r.keyId, r.intentDigest, r.args, r.createdAt, r.updatedAt, r.response);
  }

  update(requestId: string, status: RequestStatus, response: Uint8Array | null, now: number): void {
    this.updateStmt.run(status, response, now, requestId);
  }

  approvals(requestId: string): Approval[] {
    return (this.approvalsStmt.all(requestId) as { approver_id: string; expires_at: number; signature: Buffer }[]).map((r) => ({
      approverId: r.approver_id,
      expiresAt: r.expires_at,
      signature: new Uint8Array(r.signature),
    }));
  }

  /** Stores an approval; a second approval from the same approver is ignored (counts once). */
  addApproval(requestId: string, a: Approval): boolean {
    return this.addApprovalStmt.run(requestId, a.approverId, a.expiresAt, a.signature).changes === 1;
  }
}
