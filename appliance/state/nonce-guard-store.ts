// The nonce guard's memory: for each (key, chain, nonce) the intent first signed there and the fees
// of the last signature. Written in the same transaction as the decision that reads it, before the
// key is used, so two different intents can never both be signed at one nonce.
import type { Db } from './db.js';
import type { NonceRecordView } from '../../firmware-policy/state-view.js';

export class NonceGuardStore {
  private readonly getStmt;
  private readonly upsertStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT intent_digest, max_fee_per_gas, max_priority_fee_per_gas, cancelled FROM nonce_guard WHERE key_id = ? AND chain_id = ? AND nonce = ?');
    this.upsertStmt = db.prepare(
      `INSERT INTO nonce_guard (key_id, chain_id, nonce, intent_digest, max_fee_per_gas, max_priority_fee_per_gas, cancelled, request_id, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key_id, chain_id, nonce) DO UPDATE SET
         max_fee_per_gas = excluded.max_fee_per_gas, max_priority_fee_per_gas = excluded.max_priority_fee_per_gas,
         cancelled = excluded.cancelled, request_id = excluded.request_id, updated_at = excluded.updated_at`,
    );
  }

  get(keyId: string, chainId: bigint, nonce: bigint): NonceRecordView | undefined {
    const r = this.getStmt.get(keyId, chainId.toString(), nonce.toString()) as
      | { intent_digest: Buffer; max_fee_per_gas: string; max_priority_fee_per_gas: string; cancelled: number }
      | undefined;
    if (!r) return undefined;
    return { intentDigest: new Uint8Array(r.intent_digest), maxFeePerGas: BigInt(r.max_fee_per_gas), maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas), cancelled: r.cancelled === 1 };
  }

  /** Records a signature at this nonce; a bump or cancel keeps the first intent's digest. */
  record(r: { keyId: string; chainId: bigint; nonce: bigint; intentDigest: Uint8Array; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; cancelled: boolean; requestId: string; now: number }): void {
    this.upsertStmt.run(r.keyId, r.chainId.toString(), r.nonce.toString(), r.intentDigest, r.maxFeePerGas.toString(), r.maxPriorityFeePerGas.toString(), r.cancelled ? 1 : 0, r.requestId, r.now);
  }

  /** Every record (for a backup; restore writes them back through record()). */
  all(db: Db): NonceRecordRow[] {
    const rows = db.prepare('SELECT * FROM nonce_guard ORDER BY key_id, chain_id, nonce').all() as {
      key_id: string; chain_id: string; nonce: string; intent_digest: Buffer; max_fee_per_gas: string; max_priority_fee_per_gas: string; cancelled: number; request_id: string; updated_at: number;
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
