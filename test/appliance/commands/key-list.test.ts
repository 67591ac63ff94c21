// key.list and key.get through the dispatcher on an in-process device (real SoftHSM2 token): public
// data of the registered keys, paged; the token's protection attributes of one key; typed refusals.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch } from '../../../appliance/dispatch.js';
import { openInProcessDevice, typedError, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;

describe('key.list and key.get', () => {
  before(async () => {
    d = await openInProcessDevice({
      keys: [
        { label: 'hot-1', group: 'hot' },
        { label: 'hot-2', group: 'hot' },
      ],
    });
  });
  after(() => d?.close());

  test('key.list answers every key with its group; a page of one says where the next starts', async () => {
    const all = await dispatch(d.dev, 'key.list', {});
    const keys = all.keys as Record<string, unknown>[];
    assert.deepEqual(keys.map((k) => k.keyId).sort(), d.keys.map((k) => k.keyId).sort());
    assert.ok(keys.every((k) => k.group === 'hot' && k.generatedInGroup === 'hot'));
    assert.equal(all.nextOffset, null);
    const first = await dispatch(d.dev, 'key.list', { limit: 1 });
    assert.equal((first.keys as unknown[]).length, 1);
    assert.equal(first.nextOffset, 1);
    const second = await dispatch(d.dev, 'key.list', { limit: 1, offset: 1 });
    assert.equal(second.nextOffset, null);
    assert.notEqual((second.keys as { keyId: string }[])[0]?.keyId, (first.keys as { keyId: string }[])[0]?.keyId);
  });

  test('key.list refuses a page over its maximum as bad_request on "limit"', async () => {
    await assert.rejects(dispatch(d.dev, 'key.list', { limit: 1001 }), typedError('bad_request', { field: 'limit' }));
  });

  test('key.get answers the key and the token attributes that keep it in the token', async () => {
    const made = d.keys[0]!;
    const k = await dispatch(d.dev, 'key.get', { keyId: String(made.keyId) });
    assert.equal(k.keyId, made.keyId);
    assert.equal(k.address, made.address);
    assert.deepEqual(k.publicKey, made.publicKey);
    const protection = k.protection as Record<string, unknown>;
    assert.equal(protection.sensitive, true, JSON.stringify(protection));
    assert.equal(protection.wrapWithTrusted, true, 'it leaves the token only wrapped under a trusted key');
  });

  test('key.get of an unknown key is not_found', async () => {
    await assert.rejects(dispatch(d.dev, 'key.get', { keyId: 'k-00' }), typedError('not_found'));
  });
});
