// The decoded intent: what a transaction really does, and its digest (DESIGN.md "Wire protocol").
// The digest covers key, chain, nonce and the economic effect; fee fields are outside it (bounded by
// the policy's fee cap instead) so a fee bump keeps its approvals, while the nonce inside it means an
// approval never covers a second transfer.
import type { CborMap } from '../protocol/cbor.js';
import { sha256Canonical } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { EvmTx } from './evm/transaction.js';
import { decodeTokenCall } from './evm/erc20-calldata.js';
import { erc20AssetId, nativeAssetId } from './policy-document.js';

/**
 * What a transaction does: a native transfer; an ERC-20 transfer (or transferFrom) whose recipient
 * and amount come from the calldata; an ERC-20 allowance (approve, increaseAllowance) to a spender;
 * or any other contract call, judged only by an exact contract + selector allowlist.
 */
export type IntentKind = 'evm-transfer' | 'erc20-transfer' | 'erc20-approve' | 'contract-call';

export interface TransferIntent {
  kind: IntentKind;
  keyId: string;
  chainId: bigint;
  nonce: bigint;
  /** Asset id as the policy names it, e.g. "31337:native". */
  asset: string;
  /**
   * Who receives the value: the recipient of a native or token transfer, the spender of an
   * allowance, the contract of other calls; null for a contract creation.
   */
  to: Uint8Array | null;
  /** In the asset's base units (wei, or the token's smallest unit). */
  amount: bigint;
  /** Token and contract calls: the contract the transaction is sent to. */
  contract?: Uint8Array;
  /** Token calls: native value sent along (policy requires 0). */
  nativeValue?: bigint;
  /** transferFrom: whose tokens move. */
  tokenFrom?: Uint8Array;
  /** Contract calls: the 4-byte selector. */
  selector?: Uint8Array;
  /** Gas limit, for the fee cap. Outside the digest. */
  gasLimit?: bigint;
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
  const base: TransferIntent = {
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
    gasLimit: tx.gasLimit,
  };
  return tx.to === null ? base : withCallReading(base, tx.to, tx.value, tx.data);
}

/**
 * What a call does, read from its calldata: `base` describes it as a native transfer of `value` to
 * `to` with `data`; a token call (transfer, transferFrom, approve, increaseAllowance) becomes an
 * ERC-20 intent whose recipient and amount come from the calldata, any other calldata a contract call
 * judged by its selector. Shared by transactions and the inner call of a Safe transaction
 * (evm/safe-tx.ts), so both are read the same way.
 */
export function withCallReading(base: TransferIntent, to: Uint8Array, value: bigint, data: Uint8Array): TransferIntent {
  if (data.length === 0) return base;
  const call = decodeTokenCall(data);
  if (call === null) return base;
  const token = { contract: to, nativeValue: value, asset: erc20AssetId(base.chainId, to) };
  switch (call.kind) {
    case 'transfer':
      return { ...base, ...token, kind: 'erc20-transfer', to: call.recipient, amount: call.amount };
    case 'transferFrom':
      return { ...base, ...token, kind: 'erc20-transfer', to: call.recipient, amount: call.amount, tokenFrom: call.from };
    case 'approve':
    case 'increaseAllowance':
      return { ...base, ...token, kind: 'erc20-approve', to: call.spender, amount: call.amount };
    default:
      return { ...base, kind: 'contract-call', contract: to, selector: call.selector };
  }
}

/** The part of the intent that the digest names (no fee fields). */
export function intentToCbor(i: TransferIntent): CborMap {
  const m: CborMap = { kind: i.kind, keyId: i.keyId, chainId: i.chainId, nonce: i.nonce, asset: i.asset, to: i.to, amount: i.amount, data: i.data };
  if (i.contract !== undefined) m.contract = i.contract;
  if (i.nativeValue !== undefined) m.nativeValue = i.nativeValue;
  if (i.tokenFrom !== undefined) m.tokenFrom = i.tokenFrom;
  if (i.selector !== undefined) m.selector = i.selector;
  return m;
}

export function intentDigest(i: TransferIntent): Uint8Array {
  return sha256Canonical(intentToCbor(i));
}
