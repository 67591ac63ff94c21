// Proposed policy versions and their admin approvals.
import type { Db } from './db.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';

export type ProposalStatus = 'pending' | 'scheduled' | 'active' | 'cancelled' | 'superseded';

export interface StoredPolicyProposal {
  id: string;
  version: number;
  hash: Uint8Array;
  doc: Uint8Array;
  proposedBy: string;
  createdAt: number;
  status: ProposalStatus;
  stricter: boolean;
  quorumAt: number | null;
  activateAfter: number | null;
}

interface Row {
  id: string;
  version: number;
  hash: Buffer;
  doc: Buffer;
  proposed_by: string;
  created_at: number;
  status: ProposalStatus;
  stricter: number;
  quorum_at: number | null;
  activate_after: number | null;
}

const fromRow = (r: Row): StoredPolicyProposal => ({
  id: r.id,
  version: r.version,
  hash: new Uint8Array(r.hash),
  doc: new Uint8Array(r.doc),
  proposedBy: r.proposed_by,
  createdAt: r.created_at,
  status: r.status,
  stricter: r.stricter === 1,
  quorumAt: r.quorum_at,
  activateAfter: r.activate_after,
});

export class PolicyProposals {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly statusStmt;
  private readonly dueStmt;
  private readonly openStmt;
  private readonly approvalsStmt;
  private readonly addApprovalStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT * FROM policy_proposals WHERE id = ?');
    this.insertStmt = db.prepare('INSERT INTO policy_proposals (id, version, hash, doc, proposed_by, created_at, status, stricter) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.statusStmt = db.prepare('UPDATE policy_proposals SET status = ?, quorum_at = ?, activate_after = ? WHERE id = ?');
    this.dueStmt = db.prepare("SELECT * FROM policy_proposals WHERE status = 'scheduled' AND activate_after <= ? ORDER BY activate_after, id");
    this.openStmt = db.prepare("SELECT * FROM policy_proposals WHERE status IN ('pending', 'scheduled') ORDER BY created_at, id");
    this.approvalsStmt = db.prepare('SELECT admin_id, expires_at, signature FROM policy_proposal_approvals WHERE proposal_id = ? ORDER BY admin_id');
    this.addApprovalStmt = db.prepare('INSERT OR REPLACE INTO policy_proposal_approvals (proposal_id, admin_id, expires_at, signature) VALUES (?, ?, ?, ?)');
  }

  get(id: string): StoredPolicyProposal | undefined {
    const r = this.getStmt.get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  insert(p: Omit<StoredPolicyProposal, 'quorumAt' | 'activateAfter'>): void {
    this.insertStmt.run(p.id, p.version, p.hash, p.doc, p.proposedBy, p.createdAt, p.status, p.stricter ? 1 : 0);
  }

  setStatus(id: string, status: ProposalStatus, quorumAt: number | null, activateAfter: number | null): void {
    this.statusStmt.run(status, quorumAt, activateAfter, id);
  }

  due(now: number): StoredPolicyProposal[] {
    return (this.dueStmt.all(now) as Row[]).map(fromRow);
  }

  open(): StoredPolicyProposal[] {
    return (this.openStmt.all() as Row[]).map(fromRow);
  }

  approvals(id: string): Approval[] {
    return (this.approvalsStmt.all(id) as { admin_id: string; expires_at: number; signature: Buffer }[]).map((r) => ({
      approverId: r.admin_id,
      expiresAt: r.expires_at,
      signature: new Uint8Array(r.signature),
    }));
  }

  addApproval(id: string, a: Approval): void {
    this.addApprovalStmt.run(id, a.approverId, a.expiresAt, a.signature);
  }
}
