// The device's HD wallets (docs/hd-wallets.md): which token seed object (CKA_ID) a wallet id names,
// and which registered keys were derived from which wallet at which BIP-44 path. The keys themselves
// are ordinary rows of the key registry (same groups, same policy path). Rows are sealed.
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';

export interface HdWalletRecord {
  walletId: string;
  seedCkaId: Uint8Array;
  label: string;
  createdAt: number;
  /** Hash of the policy active when the seed was created. */
  policyHash: Uint8Array;
}

export interface HdKeyRecord {
  keyId: string;
  walletId: string;
  /** m/44'/60'/a'/0/i */
  path: string;
}

interface WalletRow {
  wallet_id: string;
  seed_cka_id: Buffer;
  label: string;
  created_at: number;
  policy_hash: Buffer;
  mac: Buffer;
}
interface KeyRow {
  key_id: string;
  wallet_id: string;
  path: string;
  mac: Buffer;
}

const walletFromRow = (r: WalletRow): HdWalletRecord => ({
  walletId: r.wallet_id,
  seedCkaId: new Uint8Array(r.seed_cka_id),
  label: r.label,
  createdAt: r.created_at,
  policyHash: new Uint8Array(r.policy_hash),
});

export class HdWalletStore {
  private readonly walletStmt;
  private readonly walletsStmt;
  private readonly insertWalletStmt;
  private readonly keyStmt;
  private readonly keysStmt;
  private readonly insertKeyStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.walletStmt = db.prepare('SELECT * FROM hd_wallets WHERE wallet_id = ?');
    this.walletsStmt = db.prepare('SELECT * FROM hd_wallets ORDER BY created_at, wallet_id');
    this.insertWalletStmt = db.prepare('INSERT INTO hd_wallets (wallet_id, seed_cka_id, label, created_at, policy_hash, mac) VALUES (?, ?, ?, ?, ?, ?)');
    this.keyStmt = db.prepare('SELECT * FROM hd_keys WHERE key_id = ?');
    this.keysStmt = db.prepare('SELECT * FROM hd_keys ORDER BY wallet_id, path');
    this.insertKeyStmt = db.prepare('INSERT INTO hd_keys (key_id, wallet_id, path, mac) VALUES (?, ?, ?, ?)');
  }

  wallet(walletId: string): HdWalletRecord | undefined {
    const row = this.walletStmt.get(walletId) as WalletRow | undefined;
    if (!row) return undefined;
    this.seal.require('hd_wallets', row);
    return walletFromRow(row);
  }

  wallets(): HdWalletRecord[] {
    return (this.walletsStmt.all() as WalletRow[]).map((r) => {
      this.seal.inspect('hd_wallets', r);
      return walletFromRow(r);
    });
  }

  insertWallet(w: HdWalletRecord): void {
    const row = { wallet_id: w.walletId, seed_cka_id: w.seedCkaId, label: w.label, created_at: w.createdAt, policy_hash: w.policyHash };
    this.insertWalletStmt.run(w.walletId, w.seedCkaId, w.label, w.createdAt, w.policyHash, this.seal.inserted('hd_wallets', row));
  }

  /** The wallet and path a key was derived at, or undefined for a generated key. */
  derivation(keyId: string): HdKeyRecord | undefined {
    const row = this.keyStmt.get(keyId) as KeyRow | undefined;
    if (!row) return undefined;
    this.seal.require('hd_keys', row);
    return { keyId: row.key_id, walletId: row.wallet_id, path: row.path };
  }

  derivedKeys(): HdKeyRecord[] {
    return (this.keysStmt.all() as KeyRow[]).map((r) => {
      this.seal.inspect('hd_keys', r);
      return { keyId: r.key_id, walletId: r.wallet_id, path: r.path };
    });
  }

  insertKey(k: HdKeyRecord): void {
    const row = { key_id: k.keyId, wallet_id: k.walletId, path: k.path };
    this.insertKeyStmt.run(k.keyId, k.walletId, k.path, this.seal.inserted('hd_keys', row));
  }
}
