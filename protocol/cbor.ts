// Deterministic CBOR codec for the wire protocol: RFC 8949 §4.2.1 "Core Deterministically Encoded CBOR"
// (shortest heads, definite lengths, map keys sorted bytewise by their encodings), restricted to the data
// model in DESIGN.md "Wire protocol": integers (safe JS numbers or bigints, bignum tags 2/3 beyond 64 bits,
// RFC 8949 §3.4.3), byte strings, UTF-8 text, arrays, maps, true/false/null. No floats, no undefined, no
// other simple values or tags.
//
// Both directions are written by hand here instead of with cbor-x. Measured on cbor-x 1.6.8: it encodes
// every bigint with an 8-byte head (1n -> 1b0000000000000001) and -2^64 as a tag-3 bignum, keeps object
// insertion order, and its decoder is lenient where we must refuse (it accepts floats, unknown tags,
// non-shortest heads, invalid UTF-8 with replacement characters, and recurses without a depth limit until
// RangeError). A single pass that checks canonical form while it decodes is simpler and faster than
// decoding with cbor-x, re-encoding and comparing bytes. The tests use cbor2 (deterministic mode) as an independent oracle.
//
// Decisions other modules rely on:
// - decode returns byte strings as fresh plain `Uint8Array`s (never a Buffer, never a view of the input);
// - a map whose keys are all text decodes to an ordinary object (prototype Object.prototype); a key named
//   "__proto__" becomes an own data property and never changes the prototype; any other map -> `Map`;
// - integers decode to `number` when safe (Number.isSafeInteger), else `bigint`; encode accepts either;
// - nesting deeper than MAX_NESTING_DEPTH containers is refused both ways with 'bad_request';
// - accepted input is always canonical: encodeCanonical(decodeCanonical(b)) is byte-identical to b.
import { sha256 } from '@noble/hashes/sha2.js';
import { ApplianceError } from './errors.js';

export type CborValue = number | bigint | string | Uint8Array | boolean | null | CborValue[] | CborMap | Map<CborValue, CborValue>;
export interface CborMap {
  [key: string]: CborValue;
}

/** Containers (arrays, maps) may nest this deep; one more level is refused with 'bad_request'. */
export const MAX_NESTING_DEPTH = 64;

const TWO_32 = 0x1_0000_0000;
const TWO_64 = 1n << 64n;

const badRequest = (message: string, details?: Record<string, unknown>): ApplianceError => new ApplianceError('bad_request', message, details);
const nonCanonical = (message: string, details?: Record<string, unknown>): ApplianceError => new ApplianceError('non_canonical', message, details);

// ---------------------------------------------------------------------------------------------------
// Encoder. One growable scratch buffer, reused between calls; the result is a copy of the written part.

let out = new Uint8Array(4096);
let pos = 0;
let encoding = false;

function ensure(n: number): void {
  const need = pos + n;
  if (need <= out.length) return;
  const grown = new Uint8Array(Math.max(need, out.length * 2));
  grown.set(out.subarray(0, pos));
  out = grown;
}

/** Head with the shortest argument; `v` is a non-negative safe integer. */
function writeHead(major: number, v: number): void {
  const m = major << 5;
  if (v < 24) {
    ensure(1);
    out[pos++] = m | v;
  } else if (v < 0x100) {
    ensure(2);
    out[pos++] = m | 24;
    out[pos++] = v;
  } else if (v < 0x1_0000) {
    ensure(3);
    out[pos++] = m | 25;
    out[pos++] = v >>> 8;
    out[pos++] = v & 0xff;
  } else if (v < TWO_32) {
    ensure(5);
    out[pos++] = m | 26;
    writeU32(v);
  } else {
    ensure(9);
    out[pos++] = m | 27;
    writeU32(Math.floor(v / TWO_32));
    writeU32(v >>> 0);
  }
}

function writeU32(v: number): void {
  out[pos++] = v >>> 24;
  out[pos++] = (v >>> 16) & 0xff;
  out[pos++] = (v >>> 8) & 0xff;
  out[pos++] = v & 0xff;
}

/** Head for 0 <= v < 2^64. */
function writeHeadBig(major: number, v: bigint): void {
  if (v <= BigInt(Number.MAX_SAFE_INTEGER)) {
    writeHead(major, Number(v));
    return;
  }
  ensure(9);
  out[pos++] = (major << 5) | 27;
  writeU32(Number(v >> 32n));
  writeU32(Number(v & 0xffff_ffffn));
}

function writeNumber(v: number): void {
  if (!Number.isSafeInteger(v)) {
    throw badRequest('floats are not allowed: numbers must be safe integers (use bigint beyond 2^53)');
  }
  if (v === 0 && 1 / v < 0) throw badRequest('-0 is a float and is not allowed');
  if (v >= 0) writeHead(0, v);
  else writeHead(1, -1 - v);
}

function writeBigInt(v: bigint): void {
  if (v >= 0n) {
    if (v < TWO_64) writeHeadBig(0, v);
    else writeBignum(2, v);
  } else {
    const n = -1n - v;
    if (n < TWO_64) writeHeadBig(1, n);
    else writeBignum(3, n);
  }
}

/** Tag 2/3 with the magnitude as a byte string without leading zero bytes (RFC 8949 §3.4.3, §4.2.1). */
function writeBignum(tag: 2 | 3, n: bigint): void {
  let hex = n.toString(16);
  if (hex.length & 1) hex = '0' + hex;
  const len = hex.length >>> 1;
  ensure(1);
  out[pos++] = 0xc0 | tag;
  writeHead(2, len);
  ensure(len);
  for (let i = 0; i < len; i++) {
    out[pos++] = (hexNibble(hex.charCodeAt(2 * i)) << 4) | hexNibble(hex.charCodeAt(2 * i + 1));
  }
}

function hexNibble(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57; // '0'-'9', 'a'-'f' (toString(16) is lower case)
}

function writeBytes(b: Uint8Array): void {
  writeHead(2, b.length);
  ensure(b.length);
  out.set(b, pos);
  pos += b.length;
}

/** UTF-8 text; refuses lone surrogates, which have no UTF-8 encoding (they would not round-trip). */
function writeText(s: string): void {
  // Optimistic single pass for ASCII; on the first other character, start over with the full encoder.
  const n = s.length;
  const start = pos;
  writeHead(3, n);
  ensure(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      pos = start;
      writeUtf8Text(s);
      return;
    }
    out[pos++] = c;
  }
}

function writeUtf8Text(s: string): void {
  const n = s.length;
  let size = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) size += 1;
    else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) throw badRequest('text contains a lone surrogate (not valid UTF-8)');
      size += 2; // two UTF-16 units (counted 2) -> four bytes
      i++;
    } else size += 2;
  }
  writeHead(3, size);
  ensure(size);
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) out[pos++] = c;
    else if (c < 0x800) {
      out[pos++] = 0xc0 | (c >>> 6);
      out[pos++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[pos++] = 0xf0 | (c >>> 18);
      out[pos++] = 0x80 | ((c >>> 12) & 0x3f);
      out[pos++] = 0x80 | ((c >>> 6) & 0x3f);
      out[pos++] = 0x80 | (c & 0x3f);
    } else {
      out[pos++] = 0xe0 | (c >>> 12);
      out[pos++] = 0x80 | ((c >>> 6) & 0x3f);
      out[pos++] = 0x80 | (c & 0x3f);
    }
  }
}

function isAsciiKey(k: string): boolean {
  for (let i = 0; i < k.length; i++) if (k.charCodeAt(i) >= 0x80) return false;
  return true;
}

// For ASCII text keys the encoded order is: shorter first (the head grows with the length), then
// bytewise, which for ASCII is JS string order. Keys of one object are distinct, so never 0.
const compareAsciiKeys = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : 1);

function writeObject(o: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(o);
  let ascii = true;
  for (let i = 0; i < keys.length && ascii; i++) ascii = isAsciiKey(keys[i]!);
  if (!ascii) {
    writeSortedEntries(
      keys.length,
      keys.map((k) => [k, o[k]] as const),
      depth,
    );
    return;
  }
  if (keys.length > 16) keys.sort(compareAsciiKeys);
  else {
    // Insertion sort: for the usual handful of keys it beats Array#sort and its comparator calls.
    for (let i = 1; i < keys.length; i++) {
      const k = keys[i]!;
      let j = i - 1;
      while (j >= 0 && compareAsciiKeys(keys[j]!, k) > 0) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = k;
    }
  }
  writeHead(5, keys.length);
  for (const k of keys) {
    writeText(k);
    encodeItem(o[k], depth);
  }
}

/**
 * General map path: encode every entry in place, then reorder the entries by their key bytes.
 * Two keys with the same encoding (e.g. 1 and 1n) are refused: the map would have duplicate keys.
 */
function writeSortedEntries(count: number, entries: Iterable<readonly [unknown, unknown]>, depth: number): void {
  writeHead(5, count);
  const start = pos;
  const keyStart: number[] = [];
  const keyEnd: number[] = [];
  const entryEnd: number[] = [];
  for (const [k, v] of entries) {
    keyStart.push(pos);
    encodeItem(k, depth);
    keyEnd.push(pos);
    encodeItem(v, depth);
    entryEnd.push(pos);
  }
  if (keyStart.length !== count) throw badRequest('map changed size while it was encoded');
  if (count < 2) return;
  const order = keyStart.map((_, i) => i);
  const buf = out;
  order.sort((a, b) => compareBytes(buf, keyStart[a]!, keyEnd[a]!, keyStart[b]!, keyEnd[b]!));
  for (let i = 1; i < count; i++) {
    const a = order[i - 1]!;
    const b = order[i]!;
    if (compareBytes(buf, keyStart[a]!, keyEnd[a]!, keyStart[b]!, keyEnd[b]!) === 0) {
      throw badRequest('map has two keys with the same encoding');
    }
  }
  const region = out.slice(start, pos);
  let w = start;
  for (const i of order) {
    const s = keyStart[i]! - start;
    const e = entryEnd[i]! - start;
    out.set(region.subarray(s, e), w);
    w += e - s;
  }
}

function encodeItem(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'number':
      writeNumber(v);
      return;
    case 'string':
      writeText(v);
      return;
    case 'boolean':
      ensure(1);
      out[pos++] = v ? 0xf5 : 0xf4;
      return;
    case 'bigint':
      writeBigInt(v);
      return;
    case 'object': {
      if (v === null) {
        ensure(1);
        out[pos++] = 0xf6;
        return;
      }
      if (v instanceof Uint8Array) {
        writeBytes(v);
        return;
      }
      if (depth >= MAX_NESTING_DEPTH) {
        throw badRequest(`nesting deeper than ${MAX_NESTING_DEPTH} levels`);
      }
      if (Array.isArray(v)) {
        const n = v.length;
        writeHead(4, n);
        for (let i = 0; i < n; i++) encodeItem(v[i], depth + 1);
        return;
      }
      if (v instanceof Map) {
        writeSortedEntries(v.size, v, depth + 1);
        return;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) {
        writeObject(v as Record<string, unknown>, depth + 1);
        return;
      }
      throw badRequest('unsupported object type (only plain objects, arrays, Map and Uint8Array)');
    }
    default:
      throw badRequest(`unsupported type: ${typeof v}`);
  }
}

/** The one deterministic encoding of `value`; throws ApplianceError('bad_request') outside the data model. */
export function encodeCanonical(value: CborValue): Uint8Array {
  return encodeToScratch(value, false);
}

/** SHA-256 of the canonical encoding: the digest that names exactly one value. */
export function sha256Canonical(value: CborValue): Uint8Array {
  return encodeToScratch(value, true);
}

/** Encode into the scratch buffer, then copy the result out or hash it in place (no copy). */
function encodeToScratch(value: CborValue, digest: boolean): Uint8Array {
  // Re-entrancy (a getter or Proxy calling back in) gets its own buffer so it cannot corrupt ours.
  const nested = encoding;
  const savedOut = out;
  const savedPos = pos;
  if (nested) out = new Uint8Array(256);
  encoding = true;
  pos = 0;
  try {
    encodeItem(value, 0);
    return digest ? sha256(out.subarray(0, pos)) : out.slice(0, pos);
  } catch (e) {
    if (e instanceof ApplianceError) throw e;
    throw new ApplianceError('bad_request', 'value cannot be encoded', undefined, { cause: e });
  } finally {
    if (nested) {
      out = savedOut;
      pos = savedPos;
    } else {
      encoding = false;
      if (out.length > 1 << 16) out = new Uint8Array(4096); // do not pin a large buffer
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Strict decoder: one pass that refuses every encoding other than the deterministic one.

const EMPTY = new Uint8Array(0);
let src: Uint8Array = EMPTY;
let at = 0;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function compareBytes(b: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const la = ae - as;
  const lb = be - bs;
  const n = la < lb ? la : lb;
  for (let i = 0; i < n; i++) {
    const d = b[as + i]! - b[bs + i]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

function truncated(): ApplianceError {
  return badRequest('truncated CBOR', { offset: at });
}

function decodeItem(depth: number): CborValue {
  if (at >= src.length) throw truncated();
  const start = at;
  const ib = src[at++]!;
  const major = ib >>> 5;
  const ai = ib & 0x1f;
  if (major === 7) return decodeSimple(ai, start);
  if (ai === 31) {
    if (major >= 2 && major <= 5) throw nonCanonical('indefinite length', { offset: start });
    throw badRequest('malformed CBOR: indefinite length on an integer or tag', { offset: start });
  }
  if (ai >= 28) throw badRequest('malformed CBOR: reserved additional information', { offset: start });

  // Argument, checked to be in its shortest form.
  let arg: number;
  let hi = 0;
  let lo = 0;
  if (ai < 24) arg = ai;
  else if (ai === 24) {
    if (at + 1 > src.length) throw truncated();
    arg = src[at++]!;
    if (arg < 24) throw nonCanonical('non-shortest head', { offset: start });
  } else if (ai === 25) {
    if (at + 2 > src.length) throw truncated();
    arg = (src[at]! << 8) | src[at + 1]!;
    at += 2;
    if (arg < 0x100) throw nonCanonical('non-shortest head', { offset: start });
  } else if (ai === 26) {
    if (at + 4 > src.length) throw truncated();
    arg = readU32(at);
    at += 4;
    if (arg < 0x1_0000) throw nonCanonical('non-shortest head', { offset: start });
  } else {
    if (at + 8 > src.length) throw truncated();
    hi = readU32(at);
    lo = readU32(at + 4);
    at += 8;
    if (hi === 0) throw nonCanonical('non-shortest head', { offset: start });
    arg = hi * TWO_32 + lo; // exact up to 2^53; beyond that only used as "too large"
  }

  switch (major) {
    case 0:
      return arg <= Number.MAX_SAFE_INTEGER ? arg : (BigInt(hi) << 32n) | BigInt(lo);
    case 1:
      return arg < Number.MAX_SAFE_INTEGER ? -1 - arg : -1n - ((BigInt(hi) << 32n) | BigInt(lo));
    case 2: {
      if (arg > src.length - at) throw truncated();
      const b = src.slice(at, at + arg);
      at += arg;
      return b;
    }
    case 3:
      if (arg > src.length - at) throw truncated();
      return readText(arg);
    case 4: {
      if (arg > src.length - at) throw truncated(); // every item takes at least one byte
      if (depth >= MAX_NESTING_DEPTH) throw badRequest(`nesting deeper than ${MAX_NESTING_DEPTH} levels`);
      const a: CborValue[] = new Array<CborValue>(arg);
      for (let i = 0; i < arg; i++) a[i] = decodeItem(depth + 1);
      return a;
    }
    case 5:
      if (arg > (src.length - at) / 2) throw truncated();
      if (depth >= MAX_NESTING_DEPTH) throw badRequest(`nesting deeper than ${MAX_NESTING_DEPTH} levels`);
      return decodeMap(arg, depth + 1);
    default: // 6: tag
      if (arg !== 2 && arg !== 3) throw badRequest('unsupported tag', { offset: start, tag: arg });
      return decodeBignum(arg, start);
  }
}

function readU32(i: number): number {
  return src[i]! * 0x100_0000 + ((src[i + 1]! << 16) | (src[i + 2]! << 8) | src[i + 3]!);
}

function readText(len: number): string {
  const s = at;
  const e = at + len;
  at = e;
  if (len <= 32) {
    let str = '';
    let i = s;
    for (; i < e; i++) {
      const c = src[i]!;
      if (c >= 0x80) break;
      str += String.fromCharCode(c);
    }
    if (i === e) return str;
  }
  try {
    return utf8.decode(src.subarray(s, e));
  } catch {
    throw badRequest('text is not valid UTF-8', { offset: s });
  }
}

// Map keys repeat from message to message; reusing one string per key (already internalized by V8)
// makes building the object about twice as fast. Hits are verified byte by byte, so only speed depends
// on what the cache holds.
const KEY_CACHE_SIZE = 1024;
const keyCache: (string | undefined)[] = new Array<string | undefined>(KEY_CACHE_SIZE).fill(undefined);

/** A short ASCII text key at [s, s+len), from the cache when possible; null if not ASCII or truncated. */
function cachedAsciiKey(s: number, len: number): string | null {
  const e = s + len;
  if (e > src.length) return null;
  let h = len;
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (c >= 0x80) return null;
    h = Math.imul(h ^ c, 0x0100_0193);
  }
  const slot = (h >>> 0) & (KEY_CACHE_SIZE - 1);
  const hit = keyCache[slot];
  at = e;
  if (hit !== undefined && hit.length === len) {
    let i = 0;
    while (i < len && hit.charCodeAt(i) === src[s + i]) i++;
    if (i === len) return hit;
  }
  let str = '';
  for (let i = s; i < e; i++) str += String.fromCharCode(src[i]!);
  keyCache[slot] = str;
  return str;
}

function decodeMap(n: number, depth: number): CborValue {
  const keys: CborValue[] = new Array<CborValue>(n);
  const values: CborValue[] = new Array<CborValue>(n);
  let allText = true;
  let prevStart = 0;
  let prevEnd = 0;
  for (let i = 0; i < n; i++) {
    const ks = at;
    const ib = src[at]!; // present: decodeItem checked that the map fits in the input
    const k = ib > 0x60 && ib < 0x78 ? (cachedAsciiKey(at + 1, ib - 0x60) ?? decodeItem(depth)) : decodeItem(depth);
    const ke = at;
    if (i > 0) {
      const c = compareBytes(src, prevStart, prevEnd, ks, ke);
      if (c === 0) throw nonCanonical('duplicate map key', { offset: ks });
      if (c > 0) throw nonCanonical('map keys not in canonical order', { offset: ks });
    }
    prevStart = ks;
    prevEnd = ke;
    if (typeof k !== 'string') allText = false;
    keys[i] = k;
    values[i] = decodeItem(depth);
  }
  if (!allText) {
    const m = new Map<CborValue, CborValue>();
    for (let i = 0; i < n; i++) m.set(keys[i]!, values[i]!);
    return m;
  }
  const o: CborMap = {};
  for (let i = 0; i < n; i++) {
    const k = keys[i] as string;
    if (k === '__proto__') {
      Object.defineProperty(o, k, { value: values[i], writable: true, enumerable: true, configurable: true });
    } else o[k] = values[i]!;
  }
  return o;
}

function decodeBignum(tag: number, start: number): bigint {
  if (at >= src.length) throw truncated();
  const ib = src[at]!;
  if (ib === 0x5f) throw nonCanonical('indefinite length', { offset: at });
  if (ib >>> 5 !== 2) throw badRequest('bignum content must be a byte string', { offset: at });
  const b = decodeItem(0) as Uint8Array;
  if (b.length === 0 || b[0] === 0) throw nonCanonical('bignum with leading zero bytes', { offset: start });
  if (b.length <= 8) throw nonCanonical('bignum that fits a major type 0/1 integer', { offset: start });
  let hex = '0x';
  for (let i = 0; i < b.length; i++) hex += HEX[b[i]!];
  const n = BigInt(hex);
  return tag === 2 ? n : -1n - n;
}

function decodeSimple(ai: number, start: number): CborValue {
  switch (ai) {
    case 20:
      return false;
    case 21:
      return true;
    case 22:
      return null;
    case 23:
      throw badRequest('undefined is not allowed', { offset: start });
    case 25:
    case 26:
    case 27:
      throw badRequest('floats are not allowed', { offset: start });
    case 31:
      throw badRequest('malformed CBOR: unexpected break', { offset: start });
    default:
      if (ai >= 28) throw badRequest('malformed CBOR: reserved additional information', { offset: start });
      throw badRequest('unsupported simple value', { offset: start });
  }
}

/**
 * Decode exactly one item that must be in deterministic form.
 * 'non_canonical': a well-formed encoding that is not the deterministic one (non-shortest head,
 * indefinite length, unsorted or duplicate map keys, bignum that fits 64 bits or has leading zeros).
 * 'bad_request': malformed, truncated, trailing bytes, or outside the data model (floats, undefined,
 * simple values, tags other than 2/3, invalid UTF-8, nesting deeper than MAX_NESTING_DEPTH).
 */
export function decodeCanonical(bytes: Uint8Array): CborValue {
  if (!(bytes instanceof Uint8Array)) throw badRequest('CBOR input must be a Uint8Array');
  // A plain Uint8Array view (Buffer#slice would alias the input instead of copying).
  src = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  at = 0;
  try {
    const v = decodeItem(0);
    if (at !== src.length) throw badRequest('trailing bytes after the CBOR item', { offset: at });
    return v;
  } catch (e) {
    if (e instanceof ApplianceError) throw e;
    // Defensive: e.g. an allocation failure. Never let another exception type escape.
    throw new ApplianceError('bad_request', 'malformed CBOR', undefined, { cause: e });
  } finally {
    src = EMPTY;
  }
}
