// Length-prefixed frames (protocol/frame.ts, DESIGN.md "Wire protocol"): any chunking gives back the same
// payloads, and an oversize header is refused before its body is buffered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_MAX_FRAME, FrameReader, encodeFrame } from '../../protocol/frame.js';
import { ApplianceError, type ErrorCode } from '../../protocol/errors.js';

const isCode = (code: ErrorCode) => (e: unknown) => e instanceof ApplianceError && e.code === code;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Split `bytes` at the given cut points (any order, duplicates allowed). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(prev, p)); // empty chunks included on purpose
    prev = p;
  }
  return chunks;
}

test('encodeFrame writes a 4-byte big-endian length', () => {
  assert.equal(encodeFrame(Uint8Array.from([0xa0])).toString('hex'), '00000001a0');
  assert.equal(encodeFrame(new Uint8Array(0)).toString('hex'), '00000000');
  assert.equal(encodeFrame(new Uint8Array(0x010203)).subarray(0, 4).toString('hex'), '00010203');
  assert.ok(Buffer.isBuffer(encodeFrame(new Uint8Array(1))));
});

test('encodeFrame refuses payloads over the limit', () => {
  assert.equal(DEFAULT_MAX_FRAME, 1 << 20);
  assert.equal(encodeFrame(new Uint8Array(DEFAULT_MAX_FRAME)).length, DEFAULT_MAX_FRAME + 4);
  assert.throws(() => encodeFrame(new Uint8Array(DEFAULT_MAX_FRAME + 1)), isCode('frame_too_large'));
  assert.throws(() => encodeFrame(new Uint8Array(11), 10), isCode('frame_too_large'));
  assert.equal(encodeFrame(new Uint8Array(10), 10).length, 14);
  assert.throws(() => encodeFrame(new Uint8Array(1), -1), isCode('bad_request'));
  assert.throws(() => new FrameReader(2 ** 32), isCode('bad_request'));
  assert.throws(() => new FrameReader(1.5), isCode('bad_request'));
});

test('several frames in one chunk, zero-length frames, frames split byte by byte', () => {
  const payloads = [Uint8Array.from([1, 2, 3]), new Uint8Array(0), Uint8Array.from([4]), new Uint8Array(0)];
  const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
  const r = new FrameReader();
  assert.deepEqual(r.push(stream).map(hex), payloads.map(hex));
  assert.equal(r.buffered, 0);

  const r2 = new FrameReader();
  const got: Uint8Array[] = [];
  for (const b of stream) {
    got.push(...r2.push(Uint8Array.of(b)));
  }
  assert.deepEqual(got.map(hex), payloads.map(hex));
  assert.equal(r2.buffered, 0);
  assert.deepEqual(new FrameReader().push(new Uint8Array(0)), []);
});

test('buffered counts the header and body bytes of the frame in progress', () => {
  const r = new FrameReader();
  const frame = encodeFrame(Uint8Array.from([9, 8, 7, 6, 5]));
  assert.deepEqual(r.push(frame.subarray(0, 2)), []);
  assert.equal(r.buffered, 2);
  assert.deepEqual(r.push(frame.subarray(2, 6)), []);
  assert.equal(r.buffered, 6);
  assert.deepEqual(r.push(frame.subarray(6)).map(hex), ['0908070605']);
  assert.equal(r.buffered, 0);
});

test('payloads are copies: reusing a chunk buffer does not change them', () => {
  const r = new FrameReader();
  const chunk = new Uint8Array(encodeFrame(Uint8Array.from([1, 2, 3])));
  const [p] = r.push(chunk);
  chunk.fill(0);
  assert.deepEqual([...p!], [1, 2, 3]);
  assert.equal(Object.getPrototypeOf(p), Uint8Array.prototype);
});

test('property: any chunking of any frame sequence yields the same payloads', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 300, max: 2000 }), (payloads, cuts, maxFrame) => {
      const stream = Buffer.concat(payloads.map((p) => encodeFrame(p, maxFrame)));
      const r = new FrameReader(maxFrame);
      const got: Uint8Array[] = [];
      for (const chunk of split(stream, cuts)) got.push(...r.push(chunk));
      assert.deepEqual(got.map(hex), payloads.map(hex));
      assert.equal(r.buffered, 0);
    }),
    { numRuns: 1000 },
  );
});

test('an oversize header is refused at once, without buffering the body', () => {
  const max = 1024;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(max + 1);
  const body = new Uint8Array(4096);

  // Header and part of the body in one chunk: refused, nothing of the body kept.
  const r = new FrameReader(max);
  assert.throws(() => r.push(Buffer.concat([header, body])), isCode('frame_too_large'));
  assert.equal(r.buffered, 0);
  // The stream is now out of sync: every later push is refused too.
  assert.throws(() => r.push(body), isCode('frame_too_large'));
  assert.equal(r.buffered, 0);

  // Header split across chunks: refused on the byte that completes it.
  const r2 = new FrameReader(max);
  assert.deepEqual(r2.push(header.subarray(0, 3)), []);
  assert.equal(r2.buffered, 3);
  assert.throws(() => r2.push(header.subarray(3)), isCode('frame_too_large'));

  // A frame at exactly the limit is fine; the default limit refuses 4 GiB announcements.
  const r3 = new FrameReader(max);
  assert.equal(r3.push(encodeFrame(new Uint8Array(max), max))[0]!.length, max);
  const r4 = new FrameReader();
  assert.throws(
    () => r4.push(Uint8Array.from([0xff, 0xff, 0xff, 0xff])),
    (e: unknown) => {
      assert.ok(e instanceof ApplianceError && e.code === 'frame_too_large');
      assert.deepEqual(e.details, { length: 0xffff_ffff, maxFrame: DEFAULT_MAX_FRAME });
      return true;
    },
  );
});

test('an oversize header ends the stream, even after a good frame in the same chunk', () => {
  // push() throws instead of returning, so a frame completed earlier in that same chunk is dropped:
  // the caller answers frame_too_large and closes the connection. Frames from earlier pushes were
  // already delivered.
  const r = new FrameReader(16);
  assert.deepEqual(r.push(encodeFrame(Uint8Array.of(1), 16)).map(hex), ['01']);
  assert.throws(() => r.push(Buffer.concat([encodeFrame(Uint8Array.of(2), 16), Buffer.from([0, 0, 0, 17])])), isCode('frame_too_large'));
  assert.throws(() => r.push(encodeFrame(Uint8Array.of(3), 16)), isCode('frame_too_large'));
});
