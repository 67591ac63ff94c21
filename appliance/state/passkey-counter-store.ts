// The signature counter of each passkey (WebAuthn) credential that approved a signed request
// (firmware-policy/approvals/passkey-approval.ts): the next approval by the credential must carry a
// higher one, so a replayed assertion or a cloned authenticator is refused. Written in the same sealed
// transaction as the allowed decision that counted the approval (appliance/signing-flow.ts); a
// counter never goes back. Rows are sealed (state-seal.ts).
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';
import type { CounterUpdate } from '../../firmware-policy/decision.js';

interface Row {
  credential_id: Buffer;
  approver_id: string;
  counter: number;
  request_id: string;
  updated_at: number;
  mac: Buffer;
}

export class PasskeyCounterStore {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.getStmt = db.prepare('SELECT * FROM passkey_counters WHERE credential_id = ?');
    this.insertStmt = db.prepare('INSERT INTO passkey_counters (credential_id, approver_id, counter, request_id, updated_at, mac) VALUES (?, ?, ?, ?, ?, ?)');
    this.updateStmt = db.prepare('UPDATE passkey_counters SET approver_id = ?, counter = ?, request_id = ?, updated_at = ?, mac = ? WHERE credential_id = ?');
  }

  private row(credentialId: Uint8Array): Row | undefined {
    const r = this.getStmt.get(Buffer.from(credentialId)) as Row | undefined;
    if (r) this.seal.require('passkey_counters', r);
    return r;
  }

  /** The stored counter of the credential, or undefined when it never approved a signed request. */
  get(credentialId: Uint8Array): number | undefined {
    return this.row(credentialId)?.counter;
  }

  /** Stores the counters of an allowed decision (inside its sealed transaction); a lower or equal one changes nothing. */
  record(updates: readonly CounterUpdate[], requestId: string, now: number): void {
    for (const u of updates) {
      const prior = this.row(u.credentialId);
      if (prior && prior.counter >= u.counter) continue;
      const next = { credential_id: Buffer.from(u.credentialId), approver_id: u.approverId, counter: u.counter, request_id: requestId, updated_at: now };
      if (prior) {
        const mac = this.seal.replaced(prior.mac, 'passkey_counters', next);
        this.updateStmt.run(next.approver_id, next.counter, next.request_id, next.updated_at, mac, next.credential_id);
      } else {
        const mac = this.seal.inserted('passkey_counters', next);
        this.insertStmt.run(next.credential_id, next.approver_id, next.counter, next.request_id, next.updated_at, mac);
      }
    }
  }
}
