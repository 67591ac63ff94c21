// The nonce guard's memory: for each (key, chain, nonce) the intent first signed there and the fees
// of the last signature. Written in the same transaction as the decision that reads it, before the
// key is used, so two different intents can never both be signed at one nonce. Rows are sealed.
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';
import type { NonceRecordView } from '../../firmware-policy/state-view.js';

interface Row {
  key_id: string;
  chain_id: string;
  nonce: string;
  intent_digest: Buffer;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  cancelled: number;
  request_id: string;
  updated_at: number;
  mac: Buffer;
}

export class NonceGuardStore {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.getStmt = db.prepare('SELECT * FROM nonce_guard WHERE key_id = ? AND chain_id = ? AND nonce = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO nonce_guard (key_id, chain_id, nonce, intent_digest, max_fee_per_gas, max_priority_fee_per_gas, cancelled, request_id, updated_at, mac)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateStmt = db.prepare(
      `UPDATE nonce_guard SET max_fee_per_gas = ?, max_priority_fee_per_gas = ?, cancelled = ?, request_id = ?, updated_at = ?, mac = ?
       WHERE key_id = ? AND chain_id = ? AND nonce = ?`,
    );
  }

  private row(keyId: string, chainId: bigint, nonce: bigint): Row | undefined {
    const r = this.getStmt.get(keyId, chainId.toString(), nonce.toString()) as Row | undefined;
    if (r) this.seal.require('nonce_guard', r);
    return r;
  }

  get(keyId: string, chainId: bigint, nonce: bigint): NonceRecordView | undefined {
    const r = this.row(keyId, chainId, nonce);
    if (!r) return undefined;
    return { intentDigest: new Uint8Array(r.intent_digest), maxFeePerGas: BigInt(r.max_fee_per_gas), maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas), cancelled: r.cancelled === 1 };
  }

  /** Records a signature at this nonce; a bump or cancel keeps the first intent's digest. */
  record(r: { keyId: string; chainId: bigint; nonce: bigint; intentDigest: Uint8Array; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; cancelled: boolean; requestId: string; now: number }): void {
    const prior = this.row(r.keyId, r.chainId, r.nonce);
    const next = {
      key_id: r.keyId,
      chain_id: r.chainId.toString(),
      nonce: r.nonce.toString(),
      intent_digest: prior ? prior.intent_digest : r.intentDigest,
      max_fee_per_gas: r.maxFeePerGas.toString(),
      max_priority_fee_per_gas: r.maxPriorityFeePerGas.toString(),
      cancelled: r.cancelled ? 1 : 0,
      request_id: r.requestId,
      updated_at: r.now,
    };
    if (prior) {
      const mac = this.seal.replaced(prior.mac, 'nonce_guard', next);
      this.updateStmt.run(next.max_fee_per_gas, next.max_priority_fee_per_gas, next.cancelled, next.request_id, next.updated_at, mac, next.key_id, next.chain_id, next.nonce);
    } else {
      const mac = this.seal.inserted('nonce_guard', next);
      this.insertStmt.run(next.key_id, next.chain_id, next.nonce, next.intent_digest, next.max_fee_per_gas, next.max_priority_fee_per_gas, next.cancelled, next.request_id, next.updated_at, mac);
    }
  }

  /** Every record (for a backup; restore writes them back through record()). */
  all(db: Db): NonceRecordRow[] {
    const rows = db.prepare('SELECT * FROM nonce_guard ORDER BY key_id, chain_id, nonce').all() as {
      key_id: string;
      chain_id: string;
      nonce: string;
      intent_digest: Buffer;
      max_fee_per_gas: string;
      max_priority_fee_per_gas: string;
      cancelled: number;
      request_id: string;
      updated_at: number;
    }[];
    return rows.map((r) => ({
      keyId: r.key_id,
      chainId: BigInt(r.chain_id),
      nonce: BigInt(r.nonce),
      intentDigest: new Uint8Array(r.intent_digest),
      maxFeePerGas: BigInt(r.max_fee_per_gas),
      maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas),
      cancelled: r.cancelled === 1,
      requestId: r.request_id,
      now: r.updated_at,
    }));
  }
}

export interface NonceRecordRow {
  keyId: string;
  chainId: bigint;
  nonce: bigint;
  intentDigest: Uint8Array;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  cancelled: boolean;
  requestId: string;
  now: number;
}
