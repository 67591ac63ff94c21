// CBOR sequences (RFC 8742): items written one after another with no framing. Splitting needs only
// the item structure, not its meaning: this walks heads and lengths and returns each item's bytes.
import { ApplianceError } from '../protocol/errors.js';

const MAX_DEPTH = 64;

function itemEnd(b: Uint8Array, pos: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new ApplianceError('bad_request', 'CBOR item nested too deeply');
  if (pos >= b.length) throw new ApplianceError('bad_request', 'truncated CBOR item');
  const ib = b[pos]!;
  const major = ib >> 5;
  const info = ib & 0x1f;
  let p = pos + 1;
  let arg: number;
  if (info < 24) arg = info;
  else if (info <= 27) {
    const n = 1 << (info - 24);
    if (p + n > b.length) throw new ApplianceError('bad_request', 'truncated CBOR head');
    arg = 0;
    for (let i = 0; i < n; i++) arg = arg * 256 + b[p + i]!;
    p += n;
  } else throw new ApplianceError('bad_request', 'indefinite or reserved CBOR length');
  switch (major) {
    case 0:
    case 1:
    case 7:
      return p;
    case 2:
    case 3:
      if (p + arg > b.length) throw new ApplianceError('bad_request', 'truncated CBOR string');
      return p + arg;
    case 4:
      for (let i = 0; i < arg; i++) p = itemEnd(b, p, depth + 1);
      return p;
    case 5:
      for (let i = 0; i < arg * 2; i++) p = itemEnd(b, p, depth + 1);
      return p;
    default: // 6: tag
      return itemEnd(b, p, depth + 1);
  }
}

export function splitCborSeq(bytes: Uint8Array): Uint8Array[] {
  const items: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const end = itemEnd(bytes, pos, 0);
    items.push(bytes.subarray(pos, end));
    pos = end;
  }
  return items;
}

/** The whole items at the start of `bytes` (a stream chunk), and how many bytes they take. */
export function takeWholeItems(bytes: Uint8Array): { items: Uint8Array[]; consumed: number } {
  const items: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let end: number;
    try {
      end = itemEnd(bytes, pos, 0);
    } catch {
      break; // the rest is an item still arriving (or malformed: the caller sees it left over)
    }
    items.push(bytes.subarray(pos, end));
    pos = end;
  }
  return { items, consumed: pos };
}
