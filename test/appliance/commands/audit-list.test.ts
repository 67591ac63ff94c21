// audit.list through the dispatcher on an in-process device (real SoftHSM2 token): the attested log
// paged from a seq, its head, where the next page starts; typed refusals of a bad page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch } from '../../../appliance/dispatch.js';
import { decodeCoseSign1 } from '../../../attestation/cose-sign1.js';
import { decodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { openInProcessDevice, typedError, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;
type Page = { headSeq: number; headHash: Uint8Array; entries: { seq: number; hash: Uint8Array; entry: Uint8Array }[]; nextSeq: number | null };
const list = async (args: CborMap) => (await dispatch(d.dev, 'audit.list', args)) as unknown as Page;
const payload = (entry: Uint8Array) => decodeCanonical(decodeCoseSign1(entry).payload!) as CborMap;

describe('audit.list', () => {
  before(async () => {
    d = await openInProcessDevice({
      keys: [
        { label: 'hot-1', group: 'hot' },
        { label: 'hot-2', group: 'hot' },
      ],
    });
  });
  after(() => d?.close());

  test('answers the log from seq 1 up to its head: contiguous, signed entries, the last one the head', async () => {
    const all = await list({});
    assert.ok(all.headSeq >= 3, `head ${all.headSeq}`);
    assert.deepEqual(
      all.entries.map((e) => e.seq),
      Array.from({ length: all.headSeq }, (_, i) => i + 1),
    );
    assert.deepEqual(all.entries.at(-1)?.hash, all.headHash);
    assert.equal(all.nextSeq, null);
    const kinds = all.entries.map((e) => payload(e.entry).kind);
    assert.equal(kinds.filter((k) => k === 'key.generate').length, 2, kinds.join(', '));
  });

  test('a page of one from seq 2 answers entry 2 and says the next is 3; a new entry moves the head', async () => {
    const page = await list({ fromSeq: 2, limit: 1 });
    assert.deepEqual(
      page.entries.map((e) => e.seq),
      [2],
    );
    assert.equal(page.nextSeq, 3);
    const before = page.headSeq;
    d.clock.advance(1);
    await dispatch(d.dev, 'key.generate', { label: 'hot-3', group: 'hot' });
    const after = await list({ fromSeq: before + 1 });
    assert.equal(after.headSeq, before + 1);
    const p = payload(after.entries[0]!.entry);
    assert.equal(p.kind, 'key.generate');
    assert.equal(p.seq, before + 1);
  });

  test('past the head: no entries; a limit over 1000 is bad_request on "limit"', async () => {
    const past = await list({ fromSeq: 1_000_000 });
    assert.deepEqual(past.entries, []);
    assert.equal(past.nextSeq, null);
    await assert.rejects(list({ limit: 1001 }), typedError('bad_request', { field: 'limit' }));
  });
});
