// Requests by idempotency key: the request's hash, its status and the stored response. A retry
// with the same key and the same request gets the stored response; never a second signature. Rows
// are sealed: a stored response is checked against its MAC before it is returned again.
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';
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
  mac: Buffer;
}

interface ApprovalRow {
  request_id: string;
  approver_id: string;
  expires_at: number;
  signature: Buffer;
  mac: Buffer;
}

const u8 = (b: Buffer | null) => (b ? new Uint8Array(b) : null);

export class RequestStore {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly reservedStmt;
  private readonly approvalsStmt;
  private readonly approvalStmt;
  private readonly addApprovalStmt;
  private readonly replaceApprovalStmt;
  private readonly pendingStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.getStmt = db.prepare('SELECT * FROM requests WHERE request_id = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO requests (request_id, request_hash, kind, status, requester, key_id, intent_digest, args, created_at, updated_at, response, mac)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateStmt = db.prepare('UPDATE requests SET status = ?, response = ?, updated_at = ?, mac = ? WHERE request_id = ?');
    this.reservedStmt = db.prepare("SELECT request_id FROM requests WHERE status = 'reserved'").pluck();
    this.approvalsStmt = db.prepare('SELECT * FROM request_approvals WHERE request_id = ? ORDER BY rowid');
    this.approvalStmt = db.prepare('SELECT * FROM request_approvals WHERE request_id = ? AND approver_id = ?');
    this.addApprovalStmt = db.prepare('INSERT INTO request_approvals (request_id, approver_id, expires_at, signature, mac) VALUES (?, ?, ?, ?, ?)');
    this.replaceApprovalStmt = db.prepare('UPDATE request_approvals SET expires_at = ?, signature = ?, mac = ? WHERE request_id = ? AND approver_id = ?');
    // Newest first; the page after (createdAt, requestId) of the last one seen; optionally one requester's.
    this.pendingStmt = db
      .prepare(
        `SELECT request_id FROM requests WHERE status = 'pending' AND (? IS NULL OR requester = ?)
         AND (? IS NULL OR created_at < ? OR (created_at = ? AND request_id < ?))
         ORDER BY created_at DESC, request_id DESC LIMIT ?`,
      )
      .pluck();
  }

  private row(requestId: string): Row | undefined {
    const r = this.getStmt.get(requestId) as Row | undefined;
    if (r) this.seal.require('requests', r);
    return r;
  }

  /** Ids of pending requests, newest first, after `after` (the last of the previous page), of `requester` when given. */
  pendingIds(requester: string | null, after: { createdAt: number; requestId: string } | null, limit: number): string[] {
    const c = after?.createdAt ?? null;
    const id = after?.requestId ?? null;
    return this.pendingStmt.all(requester, requester, c, c, c, id, limit) as string[];
  }

  get(requestId: string): RequestRecord | undefined {
    const r = this.row(requestId);
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
    const row = {
      request_id: r.requestId,
      request_hash: r.requestHash,
      kind: r.kind,
      status: r.status,
      requester: r.requester,
      key_id: r.keyId,
      intent_digest: r.intentDigest,
      args: r.args,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      response: r.response,
    };
    const mac = this.seal.inserted('requests', row);
    this.insertStmt.run(r.requestId, r.requestHash, r.kind, r.status, r.requester, r.keyId, r.intentDigest, r.args, r.createdAt, r.updatedAt, r.response, mac);
  }

  update(requestId: string, status: RequestStatus, response: Uint8Array | null, now: number): void {
    const old = this.row(requestId);
    if (!old) return;
    const mac = this.seal.replaced(old.mac, 'requests', { ...old, status, response, updated_at: now });
    this.updateStmt.run(status, response, now, mac, requestId);
  }

  /** Requests stopped between their reservation and their signature's commit (boot recovery). */
  reservedIds(): string[] {
    return this.reservedStmt.all() as string[];
  }

  approvals(requestId: string): Approval[] {
    return (this.approvalsStmt.all(requestId) as ApprovalRow[]).map((r) => {
      this.seal.require('request_approvals', r);
      return { approverId: r.approver_id, expiresAt: r.expires_at, signature: new Uint8Array(r.signature) };
    });
  }

  /** Stores an approval; a second approval from the same approver is ignored (counts once). */
  addApproval(requestId: string, a: Approval): boolean {
    if (this.approvalStmt.get(requestId, a.approverId)) return false;
    const mac = this.seal.inserted('request_approvals', { request_id: requestId, approver_id: a.approverId, expires_at: a.expiresAt, signature: a.signature });
    this.addApprovalStmt.run(requestId, a.approverId, a.expiresAt, a.signature, mac);
    return true;
  }

  /**
   * Puts a fresh approval in place of the same approver's stored one (the caller has judged that the
   * stored one no longer counts and the fresh one does). Returns false when there is none to replace.
   */
  replaceApproval(requestId: string, a: Approval): boolean {
    const old = this.approvalStmt.get(requestId, a.approverId) as ApprovalRow | undefined;
    if (!old) return false;
    this.seal.require('request_approvals', old);
    const row = { request_id: requestId, approver_id: a.approverId, expires_at: a.expiresAt, signature: a.signature };
    this.replaceApprovalStmt.run(a.expiresAt, a.signature, this.seal.replaced(old.mac, 'request_approvals', row), requestId, a.approverId);
    return true;
  }
}
