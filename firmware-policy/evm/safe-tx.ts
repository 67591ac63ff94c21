// The call inside a Safe transaction (SafeTx, read by eip712.ts classifyTypedData), as the policy
// judges it: the Safe sends `value` to `to` with `data`, read exactly as a transaction's call is
// (intent.ts withCallReading: a native transfer, an ERC-20 transfer/transferFrom/approve/
// increaseAllowance decoded from the calldata, or another contract call by its selector). The
// nonce is the Safe's own; there is no fee (whoever executes it pays the gas). Pure: no I/O.
import type { CborMap } from '../../protocol/cbor.js';
import { nativeAssetId } from '../policy-document.js';
import { intentToCbor, withCallReading, type TransferIntent } from '../intent.js';
import { decodeTokenCall } from './erc20-calldata.js';
import type { TypedIntent } from './eip712.js';

export type SafeTx = Extract<TypedIntent, { kind: 'safe-tx' }>;

/** Safe's Enum.Operation: 0 call, 1 delegatecall. */
export const SAFE_OPERATION_CALL = 0;
export const SAFE_OPERATION_DELEGATECALL = 1;

/** The inner call as a transfer intent of the signing key, at the Safe's nonce. */
export function safeInnerIntent(keyId: string, chainId: bigint, tx: SafeTx): TransferIntent {
  const base: TransferIntent = { kind: 'evm-transfer', keyId, chainId, nonce: tx.nonce, asset: nativeAssetId(chainId), to: tx.to, amount: tx.value, data: tx.data, maxFee: 0n };
  return withCallReading(base, tx.to, tx.value, tx.data);
}

/** Throws bad_request when the inner calldata is a token call that is not strictly encoded (as for a transaction). */
export function checkSafeCalldata(tx: SafeTx): void {
  decodeTokenCall(tx.data);
}

/** True when the Safe pays a gas refund: a gas price, a refund token or a refund receiver is set. */
export function safeRefundsGas(tx: SafeTx): boolean {
  return tx.gasPrice !== 0n || tx.gasToken.some((b) => b !== 0) || tx.refundReceiver.some((b) => b !== 0);
}

/** What the audit entry records of a Safe transaction: its fields and the decoded inner call. */
export function safeTxToCbor(tx: SafeTx, chainId: bigint | null): CborMap {
  const inner = intentToCbor(safeInnerIntent('', chainId ?? 0n, tx));
  delete inner.keyId;
  return {
    safe: tx.safe,
    to: tx.to,
    value: tx.value,
    data: tx.data,
    operation: tx.operation === SAFE_OPERATION_CALL ? 'call' : tx.operation === SAFE_OPERATION_DELEGATECALL ? 'delegatecall' : tx.operation,
    safeTxGas: tx.safeTxGas,
    baseGas: tx.baseGas,
    gasPrice: tx.gasPrice,
    gasToken: tx.gasToken,
    refundReceiver: tx.refundReceiver,
    nonce: tx.nonce,
    innerCall: inner,
  };
}
