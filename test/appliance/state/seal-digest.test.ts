// The pure pieces of the sealed state: digest arithmetic mod 2^256, the anchor's encoding, and the
// comparison of the database's checkpoint with the token's anchor (ahead is a crash, behind or
// beside is tampering).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareWithAnchor, decodeAnchor, digestAdd, digestSub, encodeAnchor, ZERO_DIGEST, type Anchor, type Checkpoint } from '../../../appliance/state/seal-digest.js';

const big = (b: Uint8Array) => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

test('digestAdd and digestSub are addition and subtraction modulo 2^256', () => {
  fc.assert(
    fc.property(bytes32, bytes32, (a, b) => {
      assert.equal(big(digestAdd(a, b)), (big(a) + big(b)) % (1n << 256n));
      assert.equal(big(digestSub(a, b)), (big(a) - big(b) + (1n << 256n)) % (1n << 256n));
      assert.deepEqual(digestSub(digestAdd(a, b), b), a);
    }),
    { numRuns: 300, seed: 11 },
  );
  assert.throws(() => digestAdd(new Uint8Array(31), ZERO_DIGEST), /"a" expected 32 bytes, got 31/);
});

test('the digest of a set of rows does not depend on the order they were added, and two copies of a row do not cancel', () => {
  fc.assert(
    fc.property(fc.array(bytes32, { minLength: 1, maxLength: 20 }), (macs) => {
      const forward = macs.reduce(digestAdd, ZERO_DIGEST);
      const backward = [...macs].reverse().reduce(digestAdd, ZERO_DIGEST);
      assert.deepEqual(forward, backward);
      const first = macs[0]!;
      if (big(first) !== 0n) assert.notDeepEqual(digestAdd(digestAdd(forward, first), first), forward);
    }),
    { numRuns: 200, seed: 12 },
  );
});

const h = (n: number) => new Uint8Array(32).fill(n);
const anchor = (over: Partial<Anchor> = {}): Anchor => ({ deviceId: 'hsm-1', gen: 10, digest: h(1), headSeq: 20, headHash: h(2), time: 1000, ...over });
const cp = (over: Partial<Checkpoint> = {}): Checkpoint => ({ gen: 10, digest: h(1), headSeq: 20, headHash: h(2), time: 1000, ...over });

test('the anchor round-trips through its canonical encoding; anything else decodes to undefined', () => {
  assert.deepEqual(decodeAnchor(encodeAnchor(anchor())), anchor());
  assert.equal(decodeAnchor(new Uint8Array([0xa0])), undefined);
  assert.equal(decodeAnchor(new Uint8Array([0xff, 0x00])), undefined);
  assert.equal(decodeAnchor(encodeAnchor(anchor()).subarray(0, 30)), undefined, 'a torn write');
});

test('checkpoint equal to the anchor, or ahead of it on the same chain (a crash before the anchor write), is accepted', () => {
  assert.deepEqual(
    compareWithAnchor(cp(), anchor(), () => undefined),
    [],
  );
  assert.deepEqual(
    compareWithAnchor(cp({ gen: 12, headSeq: 23, headHash: h(9), digest: h(7) }), anchor(), (seq) => (seq === 20 ? h(2) : undefined)),
    [],
  );
});

test('a checkpoint behind the anchor, beside it, or ahead on another chain is tampering', () => {
  const older = compareWithAnchor(cp({ gen: 7, headSeq: 15 }), anchor(), () => undefined);
  assert.match(older.join(), /older copy of the database was restored/);
  assert.match(older.join(), /audit log ends at seq 15 but the token's anchor records seq 20/);
  assert.match(compareWithAnchor(cp({ digest: h(5) }), anchor(), () => undefined).join(), /state digest differs/);
  assert.match(compareWithAnchor(cp({ headHash: h(5) }), anchor(), () => undefined).join(), /audit head seq 20/);
  assert.match(compareWithAnchor(cp({ gen: 11, headSeq: 18 }), anchor(), () => undefined).join(), /audit log ends at seq 18/);
  assert.match(compareWithAnchor(cp({ gen: 11, headSeq: 25 }), anchor(), () => h(3)).join(), /not on the database's audit chain/);
});
