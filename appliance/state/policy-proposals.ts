// Proposed policy versions and their admin approvals. Rows are sealed (state-seal.ts).
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import { AdminApprovals } from './admin-approvals.js';

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
  mac: Buffer;
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
  private readonly adminApprovals: AdminApprovals;
  private readonly openStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.getStmt = db.prepare('SELECT * FROM policy_proposals WHERE id = ?');
    this.adminApprovals = new AdminApprovals(db, seal, 'policy_proposal_approvals', 'proposal_id');
    this.insertStmt = db.prepare(
      'INSERT INTO policy_proposals (id, version, hash, doc, proposed_by, created_at, status, stricter, quorum_at, activate_after, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)',
    );
    this.statusStmt = db.prepare('UPDATE policy_proposals SET status = ?, quorum_at = ?, activate_after = ?, mac = ? WHERE id = ?');
    this.dueStmt = db.prepare("SELECT * FROM policy_proposals WHERE status = 'scheduled' AND activate_after <= ? ORDER BY activate_after, id");
    this.openStmt = db.prepare("SELECT * FROM policy_proposals WHERE status IN ('pending', 'scheduled') ORDER BY created_at, id");
  }

  private checked(r: Row): StoredPolicyProposal {
    this.seal.require('policy_proposals', r);
    return fromRow(r);
  }

  get(id: string): StoredPolicyProposal | undefined {
    const r = this.getStmt.get(id) as Row | undefined;
    return r ? this.checked(r) : undefined;
  }

  insert(p: Omit<StoredPolicyProposal, 'quorumAt' | 'activateAfter'>): void {
    const row = {
      id: p.id,
      version: p.version,
      hash: p.hash,
      doc: p.doc,
      proposed_by: p.proposedBy,
      created_at: p.createdAt,
      status: p.status,
      stricter: p.stricter ? 1 : 0,
      quorum_at: null,
      activate_after: null,
    };
    this.insertStmt.run(p.id, p.version, p.hash, p.doc, p.proposedBy, p.createdAt, p.status, row.stricter, this.seal.inserted('policy_proposals', row));
  }

  setStatus(id: string, status: ProposalStatus, quorumAt: number | null, activateAfter: number | null): void {
    const old = this.getStmt.get(id) as Row | undefined;
    if (!old) return;
    this.seal.require('policy_proposals', old);
    const mac = this.seal.replaced(old.mac, 'policy_proposals', { ...old, status, quorum_at: quorumAt, activate_after: activateAfter });
    this.statusStmt.run(status, quorumAt, activateAfter, mac, id);
  }

  due(now: number): StoredPolicyProposal[] {
    return (this.dueStmt.all(now) as Row[]).map((r) => this.checked(r));
  }

  open(): StoredPolicyProposal[] {
    return (this.openStmt.all() as Row[]).map((r) => this.checked(r));
  }

  approvals(id: string): Approval[] {
    return this.adminApprovals.list(id);
  }

  addApproval(id: string, a: Approval): void {
    this.adminApprovals.add(id, a);
  }
}
