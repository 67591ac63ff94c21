// JSON ↔ CBOR at the bridge. Amounts travel in JSON as decimal strings (or 0x hex), never as
// floating-point numbers; byte strings as 0x hex. The bridge only converts: every value is checked
// again, canonically, by the appliance. Forms are strict, so one JSON text names one value: no
// leading zeros in a quantity, and a mixed-case address must carry a correct EIP-55 checksum (on the
// wire an address is 20 bytes, so the checksum exists only here, in the JSON). Hex is checked by a
// loop over its characters, never a regular expression, and every byte string has a length cap.
import type { CborMap, CborValue } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { MAX_CALLDATA_BYTES } from '../protocol/limits.js';
import { toChecksumAddress } from '../firmware-policy/evm/secp256k1-signature.js';
import { addressSchema, calldataSchema, hexSchema, optional, required, uintSchema, type BodyField, type BodyTable } from './body-fields.js';

const bad = (field: string, expected: string) => new ApplianceError('bad_request', `"${field}" expected ${expected}`, { field });

/** Bytes a 0x hex field may hold unless its caller says otherwise (signatures, challenges, keys). */
export const DEFAULT_MAX_HEX_BYTES = 64 * 1024;

/** True when s[from..] is only hex digits (a linear scan: no backtracking, no stack). */
function hexDigitsFrom(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const isDecimalDigits = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.length > 0;
};

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function jsonObject(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, 'an object');
  return v as Record<string, unknown>;
}

/**
 * An unsigned integer: a safe JSON integer, a decimal string (at most 78 digits), or a 0x hex
 * quantity (at most 64 digits). A string with a leading zero ("007", "0x00ff") is refused as
 * `non_canonical`: zero is "0" or "0x0", and "0x" alone is no number.
 */
export function jsonUint(v: unknown, field: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw bad(field, 'a non-negative integer (use a decimal string above 2^53)');
    return BigInt(v);
  }
  if (typeof v === 'string') {
    const hex = v.startsWith('0x');
    const digits = hex ? v.slice(2) : v;
    if (digits.length >= 1 && digits.length <= (hex ? 64 : 78) && (hex ? hexDigitsFrom(digits, 0) : isDecimalDigits(digits))) {
      if (digits.length > 1 && digits[0] === '0') {
        throw new ApplianceError('non_canonical', `"${field}" has leading zeros: write ${hex ? '0x' : ''}${BigInt(v).toString(hex ? 16 : 10)}`, { field });
      }
      return BigInt(v);
    }
  }
  throw bad(field, 'an unsigned integer as a decimal string or 0x hex');
}

/**
 * 0x hex of whole bytes: exactly `len` bytes when given, else at most `maxBytes` (64 KiB unless the
 * caller allows more). The length is checked before the digits, so a huge string costs one compare.
 */
export function jsonHex(v: unknown, field: string, len?: number, maxBytes = DEFAULT_MAX_HEX_BYTES): Uint8Array {
  const expected = len !== undefined ? `0x followed by ${len} hex bytes` : `0x-prefixed hex bytes (at most ${maxBytes})`;
  if (typeof v !== 'string' || !v.startsWith('0x') || v.length % 2 !== 0) throw bad(field, expected);
  const n = (v.length - 2) / 2;
  if ((len !== undefined && n !== len) || n > maxBytes) throw bad(field, expected);
  if (!hexDigitsFrom(v, 2)) throw bad(field, expected);
  return new Uint8Array(Buffer.from(v.slice(2), 'hex'));
}

/**
 * A 20-byte address as 0x + 40 hex digits. All lower case or all upper case carries no checksum
 * (EIP-55) and is accepted; mixed case must be the EIP-55 checksum of the address, else
 * `bad_checksum` (a mistyped digit would otherwise name another account).
 */
export function jsonAddress(v: unknown, field: string): Uint8Array {
  const bytes = jsonHex(v, field, 20);
  const digits = (v as string).slice(2);
  const lower = digits.toLowerCase();
  if (digits !== lower && digits !== digits.toUpperCase() && toChecksumAddress(bytes).slice(2) !== digits) {
    throw new ApplianceError('bad_checksum', `"${field}" has mixed case that is not its EIP-55 checksum`, { field });
  }
  return bytes;
}

export function jsonString(v: unknown, field: string, maxLen = 256): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLen) throw bad(field, `a string of 1 to ${maxLen} characters`);
  return v;
}

export function jsonOptUint(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && /^0[0-9]/.test(v)) throw new ApplianceError('non_canonical', `"${field}" has leading zeros: write ${String(Number(v))}`, { field });
  const n = typeof v === 'string' && /^[0-9]{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad(field, 'a non-negative integer');
  return n;
}

function readAccessList(val: unknown): CborValue {
  if (!Array.isArray(val)) throw bad('transaction.accessList', 'an array');
  return val.map((e, i) => {
    const o = jsonObject(e, `transaction.accessList[${i}]`);
    const keys = o.storageKeys ?? [];
    if (!Array.isArray(keys)) throw bad(`transaction.accessList[${i}].storageKeys`, 'an array');
    return { address: jsonAddress(o.address, `transaction.accessList[${i}].address`), storageKeys: keys.map((s, j) => jsonHex(s, `transaction.accessList[${i}].storageKeys[${j}]`, 32)) };
  });
}

/**
 * The transaction's members (components.schemas.Transaction is made from this table): each one's
 * schema and reader. `required` is what the description requires; the bridge converts the members
 * present and the appliance refuses a transaction that lacks one it needs.
 */
export const TX_FIELDS = {
  type: required({ type: 'string', enum: ['legacy', 'eip2930', 'eip1559'] }, (v, f) => jsonString(v, f, 16)),
  chainId: required(uintSchema, jsonUint),
  nonce: required(uintSchema, jsonUint),
  gasLimit: required(uintSchema, jsonUint),
  to: required({ oneOf: [addressSchema, { type: 'null' }], description: 'null: a contract creation' }, (v, f) => (v === null ? null : jsonAddress(v, f))),
  value: required(uintSchema, jsonUint),
  data: optional(calldataSchema, (v, f) => jsonHex(v, f, undefined, MAX_CALLDATA_BYTES)),
  gasPrice: optional({ ...uintSchema, description: `legacy and eip2930. ${String(uintSchema.description)}` }, jsonUint),
  maxFeePerGas: optional({ ...uintSchema, description: `eip1559. ${String(uintSchema.description)}` }, jsonUint),
  maxPriorityFeePerGas: optional({ ...uintSchema, description: `eip1559. ${String(uintSchema.description)}` }, jsonUint),
  accessList: optional(
    { type: 'array', items: { type: 'object', required: ['address'], properties: { address: addressSchema, storageKeys: { type: 'array', items: hexSchema(32, 32) } } } },
    readAccessList,
  ),
} satisfies BodyTable;

/** EVM transaction fields from JSON to the CBOR map the appliance's sign command takes (the members present, by TX_FIELDS). */
export function txFieldsFromJson(v: unknown): CborMap {
  const t = jsonObject(v, 'transaction');
  for (const k of Object.keys(t)) if (!Object.hasOwn(TX_FIELDS, k)) throw new ApplianceError('bad_request', `"transaction" has an unknown field "${k}"`, { field: `transaction.${k}` });
  const out: CborMap = {};
  for (const [k, f] of Object.entries(TX_FIELDS) as [string, BodyField<unknown>][]) if (t[k] !== undefined) out[k] = f.read(t[k], `transaction.${k}`) as CborValue;
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
