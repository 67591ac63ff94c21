// Small boundary checks for command arguments, in the style of `"nonce" expected …, got …`.
// Every failure is a typed bad_request naming the field; nothing else is thrown.
import type { CborMap, CborValue } from './cbor.js';
import { ApplianceError } from './errors.js';

const fail = (field: string, expected: string, got: CborValue | undefined) => new ApplianceError('bad_request', `"${field}" expected ${expected}, got ${describe(got)}`, { field });

function describe(v: CborValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Map) return 'a map';
  return typeof v;
}

export function isMap(v: CborValue | undefined): v is CborMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map);
}

export function asMap(v: CborValue | undefined, field: string): CborMap {
  if (!isMap(v)) throw fail(field, 'a map', v);
  return v;
}

export function onlyKeys(m: CborMap, field: string, allowed: readonly string[]): void {
  for (const k of Object.keys(m)) {
    if (!allowed.includes(k)) throw new ApplianceError('bad_request', `"${field}" has an unknown field "${k}"`, { field: `${field}.${k}` });
  }
}

export function str(m: CborMap, field: string, maxLen = 256): string {
  const v = m[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLen) throw fail(field, `a string of 1 to ${maxLen} characters`, v);
  return v;
}

export function optStr(m: CborMap, field: string, maxLen = 256): string | null {
  return m[field] === undefined || m[field] === null ? null : str(m, field, maxLen);
}

/** A non-negative safe integer. */
export function uint(m: CborMap, field: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = m[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw fail(field, `an integer in [0, ${max}]`, v);
  return v;
}

export function optUint(m: CborMap, field: string, dflt: number, max = Number.MAX_SAFE_INTEGER): number {
  return m[field] === undefined ? dflt : uint(m, field, max);
}

/** An unsigned integer below 2^bits, as number or bigint on the wire; returned as bigint. */
export function ubig(m: CborMap, field: string, bits = 256): bigint {
  const v = m[field];
  const b = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof b !== 'bigint' || b < 0n || b >= 1n << BigInt(bits)) throw fail(field, `an unsigned ${bits}-bit integer`, v);
  return b;
}

export function bytes(m: CborMap, field: string, len?: number, maxLen = 1 << 20): Uint8Array {
  const v = m[field];
  if (!(v instanceof Uint8Array) || (len !== undefined && v.length !== len) || v.length > maxLen) {
    throw fail(field, len !== undefined ? `${len} bytes` : `a byte string of at most ${maxLen} bytes`, v);
  }
  return v;
}
