// Whitelist entries and their proposals. Entries are looked up by primary key (group, chain,
// address): one indexed read per request, whatever the whitelist's size.
import type { Db } from './db.js';
import type { WhitelistEntryView } from '../../firmware-policy/state-view.js';
import type { WhitelistProposal } from '../../firmware-policy/whitelist-governance.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';

export interface WhitelistEntry {
  group: string;
  chainId: bigint;
  address: Uint8Array;
  label: string;
  activeAt: number;
  proposalId: string;
  addedAt: number;
}

export type ProposalStatus = 'pending' | 'accepted' | 'cancelled';

export interface StoredProposal extends WhitelistProposal {
  createdAt: number;
  status: ProposalStatus;
  quorumAt: number | null;
}

interface EntryRow {
  grp: string;
  chain_id: string;
  address: Buffer;
  label: string;
  active_at: number;
  proposal_id: string;
  added_at: number;
}
interface ProposalRow {
  id: string;
  grp: string;
  chain_id: string;
  address: Buffer;
  label: string;
  proposed_by: string;
  created_at: number;
  status: ProposalStatus;
  quorum_at: number | null;
}

export class WhitelistStore {
  private readonly entryStmt;
  private readonly listStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly proposalStmt;
  private readonly insertProposalStmt;
  private readonly updateProposalStmt;
  private readonly approvalsStmt;
  private readonly insertApprovalStmt;

  constructor(db: Db) {
    this.entryStmt = db.prepare('SELECT active_at FROM whitelist WHERE grp = ? AND chain_id = ? AND address = ?');
    this.listStmt = db.prepare('SELECT * FROM whitelist ORDER BY grp, chain_id, address LIMIT ? OFFSET ?');
    this.upsertStmt = db.prepare(
      'INSERT OR REPLACE INTO whitelist (grp, chain_id, address, label, active_at, proposal_id, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.deleteStmt = db.prepare('DELETE FROM whitelist WHERE chain_id = ? AND address = ? AND (grp = ? OR ? IS NULL)');
    this.proposalStmt = db.prepare('SELECT * FROM whitelist_proposals WHERE id = ?');
    this.insertProposalStmt = db.prepare(
      'INSERT INTO whitelist_proposals (id, grp, chain_id, address, label, proposed_by, created_at, status, quorum_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)',
    );
    this.updateProposalStmt = db.prepare('UPDATE whitelist_proposals SET status = ?, quorum_at = ? WHERE id = ?');
    this.approvalsStmt = db.prepare('SELECT admin_id, expires_at, signature FROM whitelist_approvals WHERE proposal_id = ? ORDER BY admin_id');
    this.insertApprovalStmt = db.prepare(
      'INSERT OR REPLACE INTO whitelist_approvals (proposal_id, admin_id, expires_at, signature) VALUES (?, ?, ?, ?)',
    );
  }

  entry(group: string, chainId: bigint, address: Uint8Array): WhitelistEntryView | undefined {
    const row = this.entryStmt.get(group, chainId.toString(), address) as { active_at: number } | undefined;
    return row ? { activeAt: row.active_at } : undefined;
  }

  list(limit: number, offset: number): WhitelistEntry[] {
    return (this.listStmt.all(limit, offset) as EntryRow[]).map((r) => ({
      group: r.grp,
      chainId: BigInt(r.chain_id),
      address: new Uint8Array(r.address),
      label: r.label,
      activeAt: r.active_at,
      proposalId: r.proposal_id,
      addedAt: r.added_at,
    }));
  }

  put(e: WhitelistEntry): void {
    this.upsertStmt.run(e.group, e.chainId.toString(), e.address, e.label, e.activeAt, e.proposalId, e.addedAt);
  }

  /** Removes the address from one group (or from all groups when group is null); returns the count. */
  remove(chainId: bigint, address: Uint8Array, group: string | null): number {
    return this.deleteStmt.run(chainId.toString(), address, group, group).changes;
  }

  proposal(id: string): StoredProposal | undefined {
    const r = this.proposalStmt.get(id) as ProposalRow | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      group: r.grp,
      chainId: BigInt(r.chain_id),
      address: new Uint8Array(r.address),
      label: r.label,
      proposedBy: r.proposed_by,
      createdAt: r.created_at,
      status: r.status,
      quorumAt: r.quorum_at,
    };
  }

  insertProposal(p: WhitelistProposal, now: number): void {
    this.insertProposalStmt.run(p.id, p.group, p.chainId.toString(), p.address, p.label, p.proposedBy, now, 'pending');
  }

  setProposalStatus(id: string, status: ProposalStatus, quorumAt: number | null): void {
    this.updateProposalStmt.run(status, quorumAt, id);
  }

  approvals(proposalId: string): Approval[] {
    return (this.approvalsStmt.all(proposalId) as { admin_id: string; expires_at: number; signature: Buffer }[]).map((r) => ({
      approverId: r.admin_id,
      expiresAt: r.expires_at,
      signature: new Uint8Array(r.signature),
    }));
  }

  addApproval(proposalId: string, a: Approval): void {
    this.insertApprovalStmt.run(proposalId, a.approverId, a.expiresAt, a.signature);
  }
}
