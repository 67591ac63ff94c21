// An Ethereum JSON-RPC transaction object (eth_signTransaction, eth_sendTransaction: `from`, `to`,
// `gas`, `gasPrice`, `maxFeePerGas`, `maxPriorityFeePerGas`, `value`, `nonce`, `data` or `input`,
// `chainId`, `type`, `accessList`, quantities as 0x hex) as the `transaction` JSON of the REST sign
// route (POST /v1/sign/evm-transaction), which sign-params.ts turns into the sign command. Only the
// names change here; every value is checked by json-cbor.ts and again by the appliance.
import { jsonAddress, jsonObject } from '../json-cbor.js';
import { invalidParams } from './rpc-errors.js';

/** Transaction types by their JSON-RPC number; blob (0x3) and set-code (0x4) transactions are not signed. */
const TYPES: Record<string, 'legacy' | 'eip2930' | 'eip1559'> = { '0x0': 'legacy', '0x1': 'eip2930', '0x2': 'eip1559' };

const FIELDS = ['from', 'to', 'gas', 'gasLimit', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'value', 'nonce', 'data', 'input', 'chainId', 'type', 'accessList'];

/** The REST `transaction` fields a JSON-RPC object may leave out, which the bridge fills from the node (node-fill.ts) or refuses. */
export type FillableField = 'chainId' | 'nonce' | 'gasLimit' | 'gasPrice' | 'maxFeePerGas' | 'maxPriorityFeePerGas';

export interface RpcTransaction {
  /** The `from` address as given (0x + 40 hex; its EIP-55 checksum checked when mixed case). */
  from: string;
  /** The REST route's `transaction` JSON, without the fields that are missing. */
  transaction: Record<string, unknown>;
  /** Fields the transaction needs that the object did not give. */
  missing: FillableField[];
}

export function rpcTransaction(v: unknown): RpcTransaction {
  const o = jsonObject(v, 'transaction');
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) throw invalidParams(`the transaction object has an unknown or unsupported field "${k}"`, k);
  if (typeof o.from !== 'string') throw invalidParams('"from" (the address of a key) is required', 'from');
  jsonAddress(o.from, 'from');
  const given = (k: string) => o[k] !== undefined && o[k] !== null;
  if (given('gas') && given('gasLimit') && o.gas !== o.gasLimit) throw invalidParams('"gas" and "gasLimit" differ', 'gas');
  if (given('data') && given('input') && o.data !== o.input) throw invalidParams('"data" and "input" differ', 'input');
  let type: 'legacy' | 'eip2930' | 'eip1559';
  if (given('type')) {
    const t = typeof o.type === 'string' ? TYPES[o.type] : undefined;
    if (!t) throw invalidParams('"type" must be 0x0 (legacy), 0x1 (EIP-2930) or 0x2 (EIP-1559)', 'type');
    type = t;
  } else if (given('gasPrice')) type = given('accessList') ? 'eip2930' : 'legacy';
  else type = 'eip1559';
  if (type === 'eip1559' && given('gasPrice')) throw invalidParams('an EIP-1559 transaction takes maxFeePerGas and maxPriorityFeePerGas, not gasPrice', 'gasPrice');
  if (type !== 'eip1559' && (given('maxFeePerGas') || given('maxPriorityFeePerGas'))) throw invalidParams(`a ${type} transaction takes gasPrice, not maxFeePerGas`, 'maxFeePerGas');
  if (type === 'legacy' && given('accessList')) throw invalidParams('a legacy transaction has no accessList', 'accessList');

  const transaction: Record<string, unknown> = { type };
  const copy = (from: string, to = from) => {
    if (given(from)) transaction[to] = o[from];
  };
  copy('chainId');
  copy('nonce');
  copy(given('gas') ? 'gas' : 'gasLimit', 'gasLimit');
  copy('to');
  transaction.value = given('value') ? o.value : '0x0';
  copy(given('data') ? 'data' : 'input', 'data');
  for (const k of type === 'eip1559' ? ['maxFeePerGas', 'maxPriorityFeePerGas', 'accessList'] : type === 'eip2930' ? ['gasPrice', 'accessList'] : ['gasPrice']) copy(k);
  const needed: FillableField[] = ['chainId', 'nonce', 'gasLimit', ...(type === 'eip1559' ? (['maxFeePerGas', 'maxPriorityFeePerGas'] as const) : (['gasPrice'] as const))];
  return { from: o.from, transaction, missing: needed.filter((k) => transaction[k] === undefined) };
}
