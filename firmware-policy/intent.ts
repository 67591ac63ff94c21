// The decoded intent: what a transaction really does, and its digest (DESIGN.md "Wire protocol").
// The digest covers key, chain, nonce and the economic effect; fee fields are outside it (bounded by
// the policy's fee cap instead) so a fee bump keeps its approvals, while the nonce inside it means an
// approval never covers a second transfer.
import type { CborMap } from '../protocol/cbor.js';
import { sha256Canonical } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { EvmTx } from './evm/transaction.js';
import { nativeAssetId } from './policy-document.js';

export interface TransferIntent {
  kind: 'evm-transfer';
  keyId: string;
  chainId: bigint;
  nonce: bigint;
  /** Asset id as the policy names it, e.g. "31337:native". */
  asset: string;
  /** Recipient of the value (20 bytes); null for a contract creation. */
  to: Uint8Array | null;
  amount: bigint;
  /** Calldata; non-empty calldata is not a plain transfer and is judged by its own rules. */
  data: Uint8Array;
  /** Worst-case fee: gasLimit × (maxFeePerGas | gasPrice). Outside the digest. */
  maxFee: bigint;
  /**
   * Fee per gas fields (legacy and EIP-2930: gasPrice for both). Outside the digest. Always set by
   * intentFromEvmTx; when absent, the nonce guard never treats the intent as a fee bump.
   */
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
}

export function intentFromEvmTx(keyId: string, tx: EvmTx): TransferIntent {
  if (tx.chainId === null) throw new ApplianceError('bad_request', 'pre-EIP-155 transactions (no chain id) are not signed');
  const feePerGas = tx.type === 'eip1559' ? tx.maxFeePerGas : tx.gasPrice;
  return {
    kind: 'evm-transfer',
    keyId,
    chainId: tx.chainId,
    nonce: tx.nonce,
    asset: nativeAssetId(tx.chainId),
    to: tx.to,
    amount: tx.value,
    data: tx.data,
    maxFee: tx.gasLimit * feePerGas,
    maxFeePerGas: feePerGas,
    maxPriorityFeePerGas: tx.type === 'eip1559' ? tx.maxPriorityFeePerGas : tx.gasPrice,
  };
}

/** The part of the intent that the digest names (no fee fields). */
export function intentToCbor(i: TransferIntent): CborMap {
  return { kind: i.kind, keyId: i.keyId, chainId: i.chainId, nonce: i.nonce, asset: i.asset, to: i.to, amount: i.amount, data: i.data };
}

export function intentDigest(i: TransferIntent): Uint8Array {
  return sha256Canonical(intentToCbor(i));
}
