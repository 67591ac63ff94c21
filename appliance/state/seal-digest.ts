// Pure pieces of the sealed state (docs/sealed-state.md): the state digest arithmetic, the MAC
// inputs of a row and of the checkpoint, the token anchor's encoding, and the comparison of the
// database's checkpoint with the token's anchor. No I/O here, so each piece has a unit test.
//
// The state digest is the sum, modulo 2^256, of the MACs of every sealed row (each MAC read as a
// 256-bit big-endian integer). Adding, removing or replacing a row moves it by that row's MAC, so it
// is kept incrementally; a deleted row, an extra row or an older version of a row (with its old,
// genuine MAC) leaves a different sum. A sum rather than XOR: two copies of one row do not cancel.
import { equalBytes } from '../../protocol/bytes.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../protocol/cbor.js';

export const DIGEST_BYTES = 32;
export const ZERO_DIGEST = new Uint8Array(DIGEST_BYTES);

function assertDigest(name: string, d: Uint8Array): void {
  if (d.length !== DIGEST_BYTES) throw new RangeError(`"${name}" expected ${DIGEST_BYTES} bytes, got ${d.length}`);
}

/** (a + b) mod 2^256, big-endian. */
export function digestAdd(a: Uint8Array, b: Uint8Array): Uint8Array {
  assertDigest('a', a);
  assertDigest('b', b);
  const out = new Uint8Array(DIGEST_BYTES);
  let carry = 0;
  for (let i = DIGEST_BYTES - 1; i >= 0; i--) {
    const s = a[i]! + b[i]! + carry;
    out[i] = s & 0xff;
    carry = s >> 8;
  }
  return out;
}

/** (a - b) mod 2^256, big-endian. */
export function digestSub(a: Uint8Array, b: Uint8Array): Uint8Array {
  assertDigest('a', a);
  assertDigest('b', b);
  const out = new Uint8Array(DIGEST_BYTES);
  let borrow = 0;
  for (let i = DIGEST_BYTES - 1; i >= 0; i--) {
    const s = a[i]! - b[i]! - borrow;
    out[i] = s & 0xff;
    borrow = s < 0 ? 1 : 0;
  }
  return out;
}

export type SqlValue = string | number | Uint8Array | null;

/** What a row's MAC covers: its table and every column value, in the table's column order. */
export function rowMacInput(table: string, values: readonly SqlValue[]): Uint8Array {
  return encodeCanonical([table, ...values]);
}

/**
 * The database's own record of the sealed state, kept in the one row of table `seal` and rewritten
 * (with a new MAC) at the end of every transaction that changes state.
 */
export interface Checkpoint {
  /** Counts sealed transactions; never goes back. */
  gen: number;
  digest: Uint8Array;
  headSeq: number;
  headHash: Uint8Array;
  /** The latest clock reading the device committed (unix seconds). */
  time: number;
}

/**
 * How rows are MACed. 1: each row's MAC made in the token (devices sealed before the row key). 2: each
 * row's MAC is HMAC-SHA256 under the row key, which the token's seal key derives (`rowKeyInput`); the
 * checkpoint's MAC is always the token's, and names the scheme, so a checkpoint says how its rows were sealed.
 */
export type RowScheme = 1 | 2;
export const CURRENT_ROW_SCHEME: RowScheme = 2;

/** What the token's seal key MACs to derive the row key of scheme 2. */
export function rowKeyInput(deviceId: string): Uint8Array {
  return encodeCanonical(['seal/row-key', deviceId]);
}

export function checkpointMacInput(deviceId: string, c: Checkpoint, scheme: RowScheme = CURRENT_ROW_SCHEME): Uint8Array {
  return encodeCanonical([scheme === 1 ? 'seal' : 'seal/2', deviceId, c.gen, c.digest, c.headSeq, c.headHash, c.time]);
}

/** The token's anchor: the checkpoint last confirmed before a response left the device, and whose device it is. */
export interface Anchor extends Checkpoint {
  deviceId: string;
}

export function encodeAnchor(a: Anchor): Uint8Array {
  return encodeCanonical({ v: 1, deviceId: a.deviceId, gen: a.gen, digest: a.digest, headSeq: a.headSeq, headHash: a.headHash, time: a.time });
}

/** Decodes an anchor; undefined for anything that is not one (a torn or foreign object). */
export function decodeAnchor(bytes: Uint8Array): Anchor | undefined {
  try {
    const m = decodeCanonical(bytes) as CborMap;
    if (m === null || typeof m !== 'object' || m.v !== 1) return undefined;
    const { deviceId, gen, digest, headSeq, headHash, time } = m;
    if (typeof deviceId !== 'string' || typeof gen !== 'number' || typeof headSeq !== 'number' || typeof time !== 'number') return undefined;
    if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_BYTES || !(headHash instanceof Uint8Array) || headHash.length !== 32) return undefined;
    return { deviceId, gen, digest, headSeq, headHash, time };
  } catch {
    return undefined;
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Compares the database's checkpoint with the token's anchor. The anchor is written after the
 * database commit and before any response leaves, so the database may be ahead of it (a crash
 * between the two: nothing of those commits was released), never behind it or beside it.
 * `hashAt(seq)` is the stored hash of audit entry `seq` in a chain already checked.
 */
export function compareWithAnchor(c: Checkpoint, a: Anchor, hashAt: (seq: number) => Uint8Array | undefined): string[] {
  if (c.gen < a.gen) {
    const f = [`state database is older than the token's anchor: sealed generation ${c.gen}, anchor generation ${a.gen} (an older copy of the database was restored)`];
    if (c.headSeq < a.headSeq) f.push(`audit log ends at seq ${c.headSeq} but the token's anchor records seq ${a.headSeq} (entries removed or an older copy)`);
    return f;
  }
  if (c.gen === a.gen) {
    const f: string[] = [];
    if (c.headSeq !== a.headSeq || !equalBytes(c.headHash, a.headHash))
      f.push(`audit head seq ${c.headSeq} (${hex(c.headHash).slice(0, 16)}…) differs from the token's anchor, seq ${a.headSeq} (${hex(a.headHash).slice(0, 16)}…)`);
    if (!equalBytes(c.digest, a.digest)) f.push(`state digest differs from the token's anchor at the same generation ${c.gen}`);
    return f;
  }
  // Ahead: the anchor's head must be on this database's chain.
  if (c.headSeq < a.headSeq) return [`audit log ends at seq ${c.headSeq} but the token's anchor records seq ${a.headSeq} (entries removed)`];
  const h = hashAt(a.headSeq);
  if (a.headSeq > 0 && (!h || !equalBytes(h, a.headHash)))
    return [`the token's anchor (audit seq ${a.headSeq}) is not on the database's audit chain (the log was rewritten or the database belongs to another history)`];
  return [];
}
