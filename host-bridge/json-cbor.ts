// JSON ↔ CBOR at the bridge. Amounts travel in JSON as decimal strings (or 0x hex), never as
// floating-point numbers; byte strings as 0x hex. The bridge only converts: every value is checked
// again, canonically, by the appliance.
import type { CborMap, CborValue } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';

const bad = (field: string, expected: string) => new ApplianceError('bad_request', `"${field}" expected ${expected}`, { field });

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function jsonObject(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, 'an object');
  return v as Record<string, unknown>;
}

/** An unsigned integer: a safe JSON integer, a decimal string, or a 0x hex string. */
export function jsonUint(v: unknown, field: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw bad(field, 'a non-negative integer (use a decimal string above 2^53)');
    return BigInt(v);
  }
  if (typeof v === 'string' && (/^(0|[1-9][0-9]{0,77})$/.test(v) || /^0x[0-9a-fA-F]{1,64}$/.test(v))) return BigInt(v);
  throw bad(field, 'an unsigned integer as a decimal string or 0x hex');
}

export function jsonHex(v: unknown, field: string, len?: number): Uint8Array {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v) || (len !== undefined && v.length !== 2 + 2 * len)) {
    throw bad(field, len !== undefined ? `0x followed by ${len} hex bytes` : '0x-prefixed hex bytes');
  }
  return new Uint8Array(Buffer.from(v.slice(2), 'hex'));
}

export function jsonString(v: unknown, field: string, maxLen = 256): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLen) throw bad(field, `a string of 1 to ${maxLen} characters`);
  return v;
}

export function jsonOptUint(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && /^[0-9]{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad(field, 'a non-negative integer');
  return n;
}

/** EVM transaction fields from JSON to the CBOR map the appliance's sign command takes. */
export function txFieldsFromJson(v: unknown): CborMap {
  const t = jsonObject(v, 'transaction');
  const out: CborMap = {};
  for (const [k, val] of Object.entries(t)) {
    switch (k) {
      case 'type':
        out.type = jsonString(val, 'transaction.type', 16);
        break;
      case 'to':
        out.to = val === null ? null : jsonHex(val, 'transaction.to', 20);
        break;
      case 'data':
        out.data = jsonHex(val, 'transaction.data');
        break;
      case 'chainId':
      case 'nonce':
      case 'gasLimit':
      case 'value':
      case 'gasPrice':
      case 'maxFeePerGas':
      case 'maxPriorityFeePerGas':
        out[k] = jsonUint(val, `transaction.${k}`);
        break;
      case 'accessList': {
        if (!Array.isArray(val)) throw bad('transaction.accessList', 'an array');
        out.accessList = val.map((e, i) => {
          const o = jsonObject(e, `transaction.accessList[${i}]`);
          const keys = o.storageKeys ?? [];
          if (!Array.isArray(keys)) throw bad(`transaction.accessList[${i}].storageKeys`, 'an array');
          return { address: jsonHex(o.address, `transaction.accessList[${i}].address`, 20), storageKeys: keys.map((s, j) => jsonHex(s, `transaction.accessList[${i}].storageKeys[${j}]`, 32)) };
        });
        break;
      }
      default:
        throw new ApplianceError('bad_request', `"transaction" has an unknown field "${k}"`, { field: `transaction.${k}` });
    }
  }
  return out;
}

/** CBOR results to JSON: byte strings as 0x hex, big integers as decimal strings. */
export function cborToJson(v: CborValue): Json {
  if (v instanceof Uint8Array) return '0x' + Buffer.from(v).toString('hex');
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(cborToJson);
  if (v instanceof Map) {
    const o: { [k: string]: Json } = {};
    for (const [k, val] of v) o[String(k)] = cborToJson(val);
    return o;
  }
  if (v !== null && typeof v === 'object') {
    const o: { [k: string]: Json } = {};
    for (const [k, val] of Object.entries(v)) o[k] = cborToJson(val);
    return o;
  }
  return v;
}

/** Any JSON value to CBOR, refusing non-integer numbers (typed data carries big values as strings). */
export function jsonToCbor(v: unknown, field: string, depth = 0): CborValue {
  if (depth > 32) throw bad(field, 'at most 32 levels of nesting');
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw bad(field, 'integers only (use a decimal string for large or fractional values)');
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => jsonToCbor(x, `${field}[${i}]`, depth + 1));
  if (typeof v === 'object') {
    const out: CborMap = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = jsonToCbor(x, `${field}.${k}`, depth + 1);
    return out;
  }
  throw bad(field, 'a JSON value');
}
