// Strict RLP (Ethereum Yellow Paper, appendix B): one value, one encoding. Pure: no I/O.
//
// The decoder accepts only the canonical form the encoder produces, and rejects:
// - a single byte below 0x80 wrapped as a one-byte string (0x81 0x00..0x7f),
// - the long form (0xb8..0xbf, 0xf8..0xff) for a payload shorter than 56 bytes,
// - a long-form length with leading zero bytes,
// - a length that runs past the end of its input or of its enclosing list,
// - trailing bytes after the top-level item,
// - nesting deeper than `maxDepth` (so hostile input cannot exhaust the stack).
// Every failure is ApplianceError('bad_request') with the offset of the offending byte.
import { ApplianceError } from '../../protocol/errors.js';

/** An RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

export interface RlpDecodeOptions {
  /** Maximum list nesting; the outermost list is depth 1. Default 64. */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 64;

function rlpError(message: string, offset: number): ApplianceError {
  return new ApplianceError('bad_request', `rlp: ${message}`, { offset });
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Minimal big-endian bytes of a non-negative integer; zero is the empty string. */
export function encodeUint(n: bigint): Uint8Array {
  if (typeof n !== 'bigint' || n < 0n) throw new ApplianceError('bad_request', 'rlp: integer must be a non-negative bigint');
  if (n === 0n) return new Uint8Array(0);
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function lengthPrefix(shortBase: number, length: number): Uint8Array {
  if (length < 56) return Uint8Array.of(shortBase + length);
  const lenBytes = encodeUint(BigInt(length));
  // shortBase + 55 is 0xb7 for strings and 0xf7 for lists.
  const out = new Uint8Array(1 + lenBytes.length);
  out[0] = shortBase + 55 + lenBytes.length;
  out.set(lenBytes, 1);
  return out;
}

function encodeInto(item: RlpItem, parts: Uint8Array[], depth: number): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && (item[0] as number) < 0x80) {
      parts.push(item);
      return 1;
    }
    const prefix = lengthPrefix(0x80, item.length);
    parts.push(prefix, item);
    return prefix.length + item.length;
  }
  if (!Array.isArray(item)) throw new ApplianceError('bad_request', 'rlp: item must be bytes or a list');
  // Same limit as the decoder's default, so whatever is encoded here decodes back.
  if (depth + 1 > DEFAULT_MAX_DEPTH) throw new ApplianceError('bad_request', `rlp: lists nested deeper than ${DEFAULT_MAX_DEPTH}`);
  const at = parts.length;
  parts.push(new Uint8Array(0)); // placeholder for the list prefix
  let payload = 0;
  for (const child of item) payload += encodeInto(child, parts, depth + 1);
  const prefix = lengthPrefix(0xc0, payload);
  parts[at] = prefix;
  return prefix.length + payload;
}

/** RLP encoding of a byte string or (nested) list of them. */
export function encodeRlp(item: RlpItem): Uint8Array {
  const parts: Uint8Array[] = [];
  const total = encodeInto(item, parts, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface Header {
  isList: boolean;
  /** Offset of the first payload byte. */
  start: number;
  /** Payload length in bytes. */
  length: number;
}

/** Reads one item header at `pos`; `end` is the end of the enclosing region. */
function readHeader(bytes: Uint8Array, pos: number, end: number): Header {
  if (pos >= end) throw rlpError('unexpected end of input', pos);
  const b = bytes[pos] as number;
  if (b < 0x80) return { isList: false, start: pos, length: 1 };
  if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
    const isList = b >= 0xc0;
    const length = b - (isList ? 0xc0 : 0x80);
    const start = pos + 1;
    if (length > end - start) throw rlpError(`length ${length} runs past the end`, pos);
    if (!isList && length === 1 && (bytes[start] as number) < 0x80) {
      throw rlpError('single byte below 0x80 must not carry a length prefix', pos);
    }
    return { isList, start, length };
  }
  const isList = b >= 0xf8;
  const lenOfLen = b - (isList ? 0xf7 : 0xb7); // 1..8
  if (lenOfLen > end - pos - 1) throw rlpError('length of length runs past the end', pos);
  if (bytes[pos + 1] === 0) throw rlpError('long-form length has a leading zero byte', pos);
  let length = 0n;
  for (let i = 0; i < lenOfLen; i++) length = (length << 8n) | BigInt(bytes[pos + 1 + i] as number);
  if (length < 56n) throw rlpError(`long form used for length ${length} (below 56)`, pos);
  const start = pos + 1 + lenOfLen;
  if (length > BigInt(end - start)) throw rlpError(`length ${length} runs past the end`, pos);
  return { isList, start, length: Number(length) };
}

function decodeAt(bytes: Uint8Array, pos: number, end: number, depth: number, maxDepth: number): { item: RlpItem; next: number } {
  const h = readHeader(bytes, pos, end);
  const next = h.start + h.length;
  if (!h.isList) return { item: bytes.slice(h.start, next), next };
  if (depth + 1 > maxDepth) throw rlpError(`lists nested deeper than ${maxDepth}`, pos);
  const items: RlpItem[] = [];
  let p = h.start;
  while (p < next) {
    const child = decodeAt(bytes, p, next, depth + 1, maxDepth);
    items.push(child.item);
    p = child.next;
  }
  return { item: items, next };
}

/** Decodes exactly one canonical RLP item spanning all of `bytes`. */
export function decodeRlp(bytes: Uint8Array, options: RlpDecodeOptions = {}): RlpItem {
  if (!(bytes instanceof Uint8Array)) throw new ApplianceError('bad_request', 'rlp: input must be bytes');
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const { item, next } = decodeAt(bytes, 0, bytes.length, 0, maxDepth);
  if (next !== bytes.length) throw rlpError(`${bytes.length - next} trailing byte(s)`, next);
  return item;
}

/**
 * Reads a canonical RLP integer payload (as decoded by decodeRlp): big-endian, no leading zero
 * byte, zero as the empty string, at most `maxBytes` bytes. `field` names it in errors.
 */
export function decodeUint(item: RlpItem, field: string, maxBytes = 32): bigint {
  if (!(item instanceof Uint8Array)) throw new ApplianceError('bad_request', `"${field}" must be a byte string, not a list`, { field });
  if (item.length > 0 && item[0] === 0) throw new ApplianceError('bad_request', `"${field}" has a leading zero byte`, { field });
  if (item.length > maxBytes) {
    throw new ApplianceError('bad_request', `"${field}" exceeds ${maxBytes * 8} bits`, { field, length: item.length });
  }
  let n = 0n;
  for (const b of item) n = (n << 8n) | BigInt(b);
  return n;
}
