// Whitelist entries and their proposals. Entries are looked up by primary key (group, chain,
// address): one indexed read per request, whatever the whitelist's size. Rows are sealed: the entry
// a decision reads is checked against its MAC (state-seal.ts).
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';
import type { WhitelistEntryView } from '../../firmware-policy/state-view.js';
import type { WhitelistProposal } from '../../firmware-policy/whitelist-governance.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import { AdminApprovals } from './admin-approvals.js';

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
  mac: Buffer;
}

/** An entry row as the raw look-up returns it, in ENTRY_COLUMNS order. */
type EntryTuple = [grp: string, chain_id: string, address: Buffer, label: string, active_at: number, proposal_id: string, added_at: number, mac: Buffer];
const ENTRY_COLUMNS = 'grp, chain_id, address, label, active_at, proposal_id, added_at, mac';

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
  mac: Buffer;
}

export class WhitelistStore {
  private readonly entryStmt;
  private readonly entryRawStmt;
  private readonly listStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly toRemoveStmt;
  private readonly deleteStmt;
  private readonly proposalStmt;
  private readonly adminApprovals: AdminApprovals;
  private readonly labelsStmt;
  private readonly insertProposalStmt;
  private readonly proposalsStmt;
  private readonly updateProposalStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.entryStmt = db.prepare('SELECT * FROM whitelist WHERE grp = ? AND chain_id = ? AND address = ?');
    // The look-up a decision makes, in raw mode: better-sqlite3 builds a row object property by
    // property, which costs more than the indexed read itself; an object literal is cheap.
    this.entryRawStmt = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM whitelist WHERE grp = ? AND chain_id = ? AND address = ?`).raw();
    this.labelsStmt = db.prepare('SELECT * FROM whitelist WHERE chain_id = ? AND address = ? ORDER BY grp');
    this.listStmt = db.prepare('SELECT * FROM whitelist ORDER BY grp, chain_id, address LIMIT ? OFFSET ?');
    this.insertStmt = db.prepare('INSERT INTO whitelist (grp, chain_id, address, label, active_at, proposal_id, added_at, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.updateStmt = db.prepare('UPDATE whitelist SET label = ?, active_at = ?, proposal_id = ?, added_at = ?, mac = ? WHERE grp = ? AND chain_id = ? AND address = ?');
    this.toRemoveStmt = db.prepare('SELECT * FROM whitelist WHERE chain_id = ? AND address = ? AND (grp = ? OR ? IS NULL)');
    this.deleteStmt = db.prepare('DELETE FROM whitelist WHERE grp = ? AND chain_id = ? AND address = ?');
    this.proposalStmt = db.prepare('SELECT * FROM whitelist_proposals WHERE id = ?');
    this.proposalsStmt = db.prepare('SELECT * FROM whitelist_proposals WHERE status = ? ORDER BY created_at, id LIMIT ? OFFSET ?');
    this.adminApprovals = new AdminApprovals(db, seal, 'whitelist_approvals', 'proposal_id');
    this.insertProposalStmt = db.prepare(
      'INSERT INTO whitelist_proposals (id, grp, chain_id, address, label, proposed_by, created_at, status, quorum_at, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)',
    );
    this.updateProposalStmt = db.prepare('UPDATE whitelist_proposals SET status = ?, quorum_at = ?, mac = ? WHERE id = ?');
  }

  entry(group: string, chainId: bigint, address: Uint8Array): WhitelistEntryView | undefined {
    const t = this.entryRawStmt.get(group, chainId.toString(), address) as EntryTuple | undefined;
    if (!t) return undefined;
    const row: EntryRow = { grp: t[0], chain_id: t[1], address: t[2], label: t[3], active_at: t[4], proposal_id: t[5], added_at: t[6], mac: t[7] };
    this.seal.require('whitelist', row);
    return { activeAt: row.active_at };
  }

  /** The labels an address has on one chain, in every group that lists it. */
  labels(chainId: bigint, address: Uint8Array): { group: string; label: string }[] {
    return (this.labelsStmt.all(chainId.toString(), address) as EntryRow[]).map((r) => {
      this.seal.require('whitelist', r);
      return { group: r.grp, label: r.label };
    });
  }

  list(limit: number, offset: number): WhitelistEntry[] {
    return (this.listStmt.all(limit, offset) as EntryRow[]).map((r) => {
      this.seal.inspect('whitelist', r);
      return {
        group: r.grp,
        chainId: BigInt(r.chain_id),
        address: new Uint8Array(r.address),
        label: r.label,
        activeAt: r.active_at,
        proposalId: r.proposal_id,
        addedAt: r.added_at,
      };
    });
  }

  put(e: WhitelistEntry): void {
    const row = { grp: e.group, chain_id: e.chainId.toString(), address: e.address, label: e.label, active_at: e.activeAt, proposal_id: e.proposalId, added_at: e.addedAt };
    const old = this.entryStmt.get(row.grp, row.chain_id, row.address) as EntryRow | undefined;
    if (old) this.updateStmt.run(row.label, row.active_at, row.proposal_id, row.added_at, this.seal.replaced(old.mac, 'whitelist', row), row.grp, row.chain_id, row.address);
    else this.insertStmt.run(row.grp, row.chain_id, row.address, row.label, row.active_at, row.proposal_id, row.added_at, this.seal.inserted('whitelist', row));
  }

  /** Removes the address from one group (or from all groups when group is null); returns the count. */
  remove(chainId: bigint, address: Uint8Array, group: string | null): number {
    const rows = this.toRemoveStmt.all(chainId.toString(), address, group, group) as EntryRow[];
    for (const r of rows) {
      this.seal.deleted(r.mac);
      this.deleteStmt.run(r.grp, r.chain_id, r.address);
    }
    return rows.length;
  }

  private proposalRow(id: string): ProposalRow | undefined {
    const r = this.proposalStmt.get(id) as ProposalRow | undefined;
    if (r) this.seal.require('whitelist_proposals', r);
    return r;
  }

  proposal(id: string): StoredProposal | undefined {
    const r = this.proposalRow(id);
    return r ? storedProposal(r) : undefined;
  }

  /** A page of the proposals with `status`, oldest first (each row's seal checked). */
  proposals(status: ProposalStatus, limit: number, offset: number): StoredProposal[] {
    return (this.proposalsStmt.all(status, limit, offset) as ProposalRow[]).map((r) => {
      this.seal.require('whitelist_proposals', r);
      return storedProposal(r);
    });
  }

  insertProposal(p: WhitelistProposal, now: number): void {
    const row = { id: p.id, grp: p.group, chain_id: p.chainId.toString(), address: p.address, label: p.label, proposed_by: p.proposedBy, created_at: now, status: 'pending', quorum_at: null };
    this.insertProposalStmt.run(row.id, row.grp, row.chain_id, row.address, row.label, row.proposed_by, now, row.status, this.seal.inserted('whitelist_proposals', row));
  }

  setProposalStatus(id: string, status: ProposalStatus, quorumAt: number | null): void {
    const old = this.proposalRow(id);
    if (!old) return;
    this.updateProposalStmt.run(status, quorumAt, this.seal.replaced(old.mac, 'whitelist_proposals', { ...old, status, quorum_at: quorumAt }), id);
  }

  approvals(proposalId: string): Approval[] {
    return this.adminApprovals.list(proposalId);
  }

  addApproval(proposalId: string, a: Approval): void {
    this.adminApprovals.add(proposalId, a);
  }
}

function storedProposal(r: ProposalRow): StoredProposal {
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
