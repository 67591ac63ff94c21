// A Safe transaction (SafeTx, Safe{Wallet} 1.3 and later) as EIP-712 typed data, the way a Safe
// owner's wallet is asked to sign it: domain { chainId, verifyingContract: the Safe }, the ten SafeTx
// fields. What varies between callers is given; the rest defaults to a plain call with no gas refund.
// ERC-20 calldata builders for the inner call, and the owners' signatures in the order
// execTransaction wants them (sorted by owner address).
import { encodeFunctionData, parseAbi, type Hex } from 'viem';

export const SAFE_DOMAIN_TYPE = [
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];
export const SAFE_TX_TYPE = [
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'data', type: 'bytes' },
  { name: 'operation', type: 'uint8' },
  { name: 'safeTxGas', type: 'uint256' },
  { name: 'baseGas', type: 'uint256' },
  { name: 'gasPrice', type: 'uint256' },
  { name: 'gasToken', type: 'address' },
  { name: 'refundReceiver', type: 'address' },
  { name: 'nonce', type: 'uint256' },
];
export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

export interface SafeTxFields {
  to: string;
  value?: bigint;
  data?: Hex;
  operation?: number;
  safeTxGas?: bigint;
  baseGas?: bigint;
  gasPrice?: bigint;
  gasToken?: string;
  refundReceiver?: string;
  nonce: bigint | number;
}

/** The SafeTx message with defaults filled in (numbers as decimal strings, as a JSON client sends them). */
export function safeTxMessage(f: SafeTxFields) {
  return {
    to: f.to,
    value: (f.value ?? 0n).toString(),
    data: f.data ?? '0x',
    operation: f.operation ?? 0,
    safeTxGas: (f.safeTxGas ?? 0n).toString(),
    baseGas: (f.baseGas ?? 0n).toString(),
    gasPrice: (f.gasPrice ?? 0n).toString(),
    gasToken: f.gasToken ?? ZERO_ADDRESS,
    refundReceiver: f.refundReceiver ?? ZERO_ADDRESS,
    nonce: BigInt(f.nonce).toString(),
  };
}

export function safeTxTypedData(chainId: number, safe: string, f: SafeTxFields) {
  return {
    types: { EIP712Domain: SAFE_DOMAIN_TYPE, SafeTx: SAFE_TX_TYPE },
    primaryType: 'SafeTx',
    domain: { chainId, verifyingContract: safe },
    message: safeTxMessage(f),
  };
}

const ERC20 = parseAbi(['function transfer(address to, uint256 value) returns (bool)', 'function approve(address spender, uint256 value) returns (bool)']);

export const erc20Transfer = (to: string, value: bigint): Hex => encodeFunctionData({ abi: ERC20, functionName: 'transfer', args: [to as Hex, value] });
export const erc20Approve = (spender: string, value: bigint): Hex => encodeFunctionData({ abi: ERC20, functionName: 'approve', args: [spender as Hex, value] });

/** Owners' 65-byte signatures (r ‖ s ‖ v, v 27/28) concatenated in ascending owner order, as Safe.checkSignatures reads them. */
export function safeSignatures(sigs: { owner: string; signature: string }[]): Hex {
  const sorted = [...sigs].sort((a, b) => (BigInt(a.owner) < BigInt(b.owner) ? -1 : 1));
  return `0x${sorted.map((s) => s.signature.slice(2)).join('')}`;
}
