// The device's registry of its keys: which token object (CKA_ID) a key id names, its group, its
// address, and the policy that was active when it was generated. Rows are sealed (state-seal.ts).
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';

export interface KeyRecord {
  keyId: string;
  ckaId: Uint8Array;
  label: string;
  group: string;
  address: string;
  publicKey: Uint8Array;
  createdAt: number;
  policyHash: Uint8Array;
  /** PEM key attestation certificate, signed by the device attestation key. */
  certificate: string;
}

interface Row {
  key_id: string;
  cka_id: Buffer;
  label: string;
  grp: string;
  address: string;
  public_key: Buffer;
  created_at: number;
  policy_hash: Buffer;
  certificate: string;
  mac: Buffer;
}

const fromRow = (r: Row): KeyRecord => ({
  keyId: r.key_id,
  ckaId: new Uint8Array(r.cka_id),
  label: r.label,
  group: r.grp,
  address: r.address,
  publicKey: new Uint8Array(r.public_key),
  createdAt: r.created_at,
  policyHash: new Uint8Array(r.policy_hash),
  certificate: r.certificate,
});

export class KeyRegistry {
  private readonly getStmt;
  private readonly listStmt;
  private readonly insertStmt;
  private readonly cache = new Map<string, KeyRecord>();

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.getStmt = db.prepare('SELECT * FROM keys WHERE key_id = ?');
    this.listStmt = db.prepare('SELECT * FROM keys ORDER BY created_at, key_id');
    this.insertStmt = db.prepare('INSERT INTO keys (key_id, cka_id, label, grp, address, public_key, created_at, policy_hash, certificate, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  }

  get(keyId: string): KeyRecord | undefined {
    const hit = this.cache.get(keyId);
    if (hit) return hit;
    const row = this.getStmt.get(keyId) as Row | undefined;
    if (!row) return undefined;
    this.seal.require('keys', row);
    const rec = fromRow(row);
    this.cache.set(keyId, rec);
    return rec;
  }

  list(): KeyRecord[] {
    // A listing for auditors: a row that fails its MAC is reported (the device then refuses to act) but still shown.
    return (this.listStmt.all() as Row[]).map((r) => {
      this.seal.inspect('keys', r);
      return fromRow(r);
    });
  }

  insert(k: KeyRecord): void {
    const row = {
      key_id: k.keyId,
      cka_id: k.ckaId,
      label: k.label,
      grp: k.group,
      address: k.address,
      public_key: k.publicKey,
      created_at: k.createdAt,
      policy_hash: k.policyHash,
      certificate: k.certificate,
    };
    this.insertStmt.run(k.keyId, k.ckaId, k.label, k.group, k.address, k.publicKey, k.createdAt, k.policyHash, k.certificate, this.seal.inserted('keys', row));
  }
}
