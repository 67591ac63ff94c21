// key.generate through the dispatcher on an in-process device (real SoftHSM2 token, test clock): a
// key made in the token, registered in its group, stamped with the device's time and audited; the
// typed refusals of a bad label, a group the policy lacks and a requester who is not an admin.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch } from '../../../appliance/dispatch.js';
import { openInProcessDevice, typedError, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;

describe('key.generate', () => {
  before(async () => {
    d = await openInProcessDevice({ keys: [] });
  });
  after(() => d?.close());

  test('makes a secp256k1 key in the token, registered in its group at the device time, audited', async () => {
    d.clock.advance(7);
    const k = await dispatch(d.dev, 'key.generate', { requester: 'admin-1', label: 'hot-2', group: 'hot' });
    assert.match(String(k.keyId), /^k-[0-9a-f]+$/);
    assert.equal(k.label, 'hot-2');
    assert.equal(k.group, 'hot');
    assert.equal(k.curve, 'secp256k1');
    assert.match(String(k.address), /^0x[0-9a-fA-F]{40}$/);
    assert.equal((k.publicKey as Uint8Array).length, 65);
    assert.equal(k.createdAt, d.dev.clock(), 'stamped with the device time');
    assert.deepEqual(k.policyHash, d.dev.policies.current().hash);
    const entry = d.dev.audit.list(Number(k.auditSeq), 1, 1 << 20)[0];
    assert.ok(entry, 'the generation is audited');
    assert.equal(d.dev.keys.get(String(k.keyId))?.address, k.address);
  });

  test('a label outside [A-Za-z0-9._-]{1,64} is refused as bad_request on "label"', async () => {
    await assert.rejects(dispatch(d.dev, 'key.generate', { label: 'has space', group: 'hot' }), typedError('bad_request', { field: 'label' }));
  });

  test('a group the active policy lacks is refused as bad_request on "group"', async () => {
    await assert.rejects(dispatch(d.dev, 'key.generate', { label: 'x-1', group: 'cold' }), typedError('bad_request', { field: 'group' }));
  });

  test('a requester who is not an admin is denied, and nothing is generated', async () => {
    const before = d.dev.keys.list().length;
    await assert.rejects(dispatch(d.dev, 'key.generate', { requester: 'orchestrator', label: 'x-2', group: 'hot' }), typedError('denied', { requester: 'orchestrator', role: 'admin' }));
    assert.equal(d.dev.keys.list().length, before);
  });

  test('an unknown argument is refused as bad_request naming it', async () => {
    await assert.rejects(dispatch(d.dev, 'key.generate', { label: 'x-3', group: 'hot', extractable: true }), typedError('bad_request', { field: 'args.extractable' }));
  });
});
