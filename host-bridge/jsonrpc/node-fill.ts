// Fills what an eth_sendTransaction object left out, from the configured node, the way a wallet does
// before it signs: the chain id (eth_chainId), the nonce (eth_getTransactionCount of `from` at
// "pending"), the gas limit (eth_estimateGas) and the fees (EIP-1559: maxPriorityFeePerGas from
// eth_maxPriorityFeePerGas, maxFeePerGas = 2 × the latest base fee + that tip; legacy: eth_gasPrice).
// Nothing here judges: a field the caller gave is never changed, and the filled transaction goes to
// the appliance, whose policy decides on it as on any other (gas and fee caps included).
import { jsonUint } from '../json-cbor.js';
import type { NodeClient } from './node-client.js';
import type { FillableField, RpcTransaction } from './tx-object.js';

const quantity = (v: unknown, what: string): bigint => {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) throw new Error(`the node answered ${what} that is not a quantity`);
  return BigInt(v);
};
const hex = (n: bigint) => '0x' + n.toString(16);

/** The transaction with `fields` (a subset of tx.missing) filled from the node; fields given by the caller stay as given. */
export async function fillFromNode(node: NodeClient, tx: RpcTransaction, fields: readonly FillableField[]): Promise<Record<string, unknown>> {
  const t = { ...tx.transaction };
  const want = (k: FillableField) => fields.includes(k) && t[k] === undefined;
  if (want('chainId')) t.chainId = hex(quantity(await node.call('eth_chainId', []), 'a chain id'));
  if (want('nonce')) t.nonce = hex(quantity(await node.call('eth_getTransactionCount', [tx.from, 'pending']), 'a nonce'));
  if (want('gasLimit')) {
    const call: Record<string, unknown> = { from: tx.from, value: t.value };
    if (t.to !== undefined) call.to = t.to;
    if (t.data !== undefined) call.data = t.data;
    if (t.accessList !== undefined) call.accessList = t.accessList;
    t.gasLimit = hex(quantity(await node.call('eth_estimateGas', [call]), 'a gas estimate'));
  }
  if (want('gasPrice')) t.gasPrice = hex(quantity(await node.call('eth_gasPrice', []), 'a gas price'));
  if (want('maxPriorityFeePerGas') || want('maxFeePerGas')) {
    const tip =
      t.maxPriorityFeePerGas !== undefined ? jsonUint(t.maxPriorityFeePerGas, 'transaction.maxPriorityFeePerGas') : quantity(await node.call('eth_maxPriorityFeePerGas', []), 'a priority fee');
    if (want('maxFeePerGas')) {
      const block = (await node.call('eth_getBlockByNumber', ['latest', false])) as { baseFeePerGas?: unknown } | null;
      t.maxFeePerGas = hex(2n * quantity(block?.baseFeePerGas, 'a base fee') + tip);
    }
    if (want('maxPriorityFeePerGas')) {
      const cap = jsonUint(t.maxFeePerGas, 'transaction.maxFeePerGas');
      t.maxPriorityFeePerGas = hex(tip < cap ? tip : cap);
    }
  }
  return t;
}
