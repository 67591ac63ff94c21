// One admin's signed approval per (subject, admin): the shape shared by whitelist proposals, policy
// proposals and firmware measurements. Rows are sealed (state-seal.ts); a second approval by the same
// admin replaces the first (a fresher expiry), so an admin never counts twice.
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import type { Db, SealedTable } from './db.js';
import type { StateSeal } from './state-seal.js';

type ApprovalTableName = Extract<SealedTable, 'whitelist_approvals' | 'policy_proposal_approvals' | 'firmware_approvals'>;
type SubjectColumn = 'proposal_id' | 'measurement';

type Subject = string | Uint8Array;

interface Row {
  admin_id: string;
  expires_at: number;
  signature: Buffer;
  mac: Buffer;
}

export class AdminApprovals {
  private readonly listStmt;
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
    private readonly table: ApprovalTableName,
    private readonly subject: SubjectColumn,
  ) {
    // Table and column names are constants of this module's callers, never input.
    this.listStmt = db.prepare(`SELECT * FROM ${table} WHERE ${subject} = ? ORDER BY admin_id`);
    this.getStmt = db.prepare(`SELECT * FROM ${table} WHERE ${subject} = ? AND admin_id = ?`);
    this.insertStmt = db.prepare(`INSERT INTO ${table} (${subject}, admin_id, expires_at, signature, mac) VALUES (?, ?, ?, ?, ?)`);
    this.updateStmt = db.prepare(`UPDATE ${table} SET expires_at = ?, signature = ?, mac = ? WHERE ${subject} = ? AND admin_id = ?`);
  }

  /** The approvals of one subject, each checked against its seal. */
  list(subject: Subject): Approval[] {
    return (this.listStmt.all(subject) as Row[]).map((r) => {
      this.seal.require(this.table, r);
      return { approverId: r.admin_id, expiresAt: r.expires_at, signature: new Uint8Array(r.signature) };
    });
  }

  add(subject: Subject, a: Approval): void {
    const row = { [this.subject]: subject, admin_id: a.approverId, expires_at: a.expiresAt, signature: a.signature };
    const old = this.getStmt.get(subject, a.approverId) as Row | undefined;
    if (old) this.updateStmt.run(a.expiresAt, a.signature, this.seal.replaced(old.mac, this.table, row), subject, a.approverId);
    else this.insertStmt.run(subject, a.approverId, a.expiresAt, a.signature, this.seal.inserted(this.table, row));
  }
}
