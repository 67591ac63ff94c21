// Builds an EVM transaction from the fields of a sign command (a canonical CBOR map). The appliance
// signs only what it built and validated here; it never accepts a digest to sign.
import type { CborMap, CborValue } from '../../protocol/cbor.js';
import { asMap, bytes, onlyKeys, ubig } from '../../protocol/args.js';
import { ApplianceError } from '../../protocol/errors.js';
import { validateTx, type AccessListEntry, type EvmTx } from './transaction.js';

const COMMON = ['type', 'chainId', 'nonce', 'gasLimit', 'to', 'value', 'data'];

export function txFromFields(v: CborValue | undefined): EvmTx {
  const m = asMap(v, 'tx');
  const type = m.type;
  const to = m.to === null || m.to === undefined ? null : bytes(m, 'to', 20);
  const data = m.data === undefined ? new Uint8Array(0) : bytes(m, 'data', undefined, 128 * 1024);
  const base = { chainId: ubig(m, 'chainId', 64), nonce: ubig(m, 'nonce', 64), gasLimit: ubig(m, 'gasLimit', 64), to, value: ubig(m, 'value'), data };
  let tx: EvmTx;
  switch (type) {
    case 'legacy':
      onlyKeys(m, 'tx', [...COMMON, 'gasPrice']);
      tx = { type, ...base, gasPrice: ubig(m, 'gasPrice') };
      break;
    case 'eip2930':
      onlyKeys(m, 'tx', [...COMMON, 'gasPrice', 'accessList']);
      tx = { type, ...base, gasPrice: ubig(m, 'gasPrice'), accessList: accessList(m.accessList) };
      break;
    case 'eip1559':
      onlyKeys(m, 'tx', [...COMMON, 'maxFeePerGas', 'maxPriorityFeePerGas', 'accessList']);
      tx = { type, ...base, maxFeePerGas: ubig(m, 'maxFeePerGas'), maxPriorityFeePerGas: ubig(m, 'maxPriorityFeePerGas'), accessList: accessList(m.accessList) };
      if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) {
        throw new ApplianceError('bad_request', '"maxPriorityFeePerGas" must not exceed "maxFeePerGas"', { field: 'maxPriorityFeePerGas' });
      }
      break;
    default:
      throw new ApplianceError('bad_request', '"type" expected "legacy", "eip2930" or "eip1559"', { field: 'type' });
  }
  if (base.chainId === 0n) throw new ApplianceError('bad_request', '"chainId" must be positive', { field: 'chainId' });
  validateTx(tx);
  return tx;
}

/** The same fields back as a CBOR map (for responses and the stored request). */
export function txToFields(tx: EvmTx): CborMap {
  const base: CborMap = { type: tx.type, chainId: tx.chainId ?? 0n, nonce: tx.nonce, gasLimit: tx.gasLimit, to: tx.to, value: tx.value, data: tx.data };
  if (tx.type === 'eip1559') return { ...base, maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas, accessList: accessListToCbor(tx.accessList) };
  if (tx.type === 'eip2930') return { ...base, gasPrice: tx.gasPrice, accessList: accessListToCbor(tx.accessList) };
  return { ...base, gasPrice: tx.gasPrice };
}

function accessList(v: CborValue | undefined): AccessListEntry[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 1024) throw new ApplianceError('bad_request', '"accessList" expected an array of at most 1024 entries', { field: 'accessList' });
  return v.map((e, i) => {
    const m = asMap(e, `accessList[${i}]`);
    onlyKeys(m, `accessList[${i}]`, ['address', 'storageKeys']);
    const keys = m.storageKeys ?? [];
    if (!Array.isArray(keys) || keys.length > 1024) throw new ApplianceError('bad_request', `"accessList[${i}].storageKeys" expected an array`);
    return {
      address: bytes(m, 'address', 20),
      storageKeys: keys.map((k) => {
        if (!(k instanceof Uint8Array) || k.length !== 32) throw new ApplianceError('bad_request', `"accessList[${i}].storageKeys" entries must be 32 bytes`);
        return k;
      }),
    };
  });
}

function accessListToCbor(list: AccessListEntry[]): CborValue[] {
  return list.map((e) => ({ address: e.address, storageKeys: e.storageKeys }));
}
