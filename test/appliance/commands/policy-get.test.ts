// policy.get through the dispatcher on an in-process device (real SoftHSM2 token): the active policy
// as installed by its admins (version 1, its hash, the time it took effect, the document); no
// arguments are taken.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch } from '../../../appliance/dispatch.js';
import { policyHash } from '../../../firmware-policy/policy-document.js';
import { CHAIN_ID } from '../../helpers/test-device.js';
import { openInProcessDevice, typedError, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;

describe('policy.get', () => {
  before(async () => {
    d = await openInProcessDevice();
  });
  after(() => d?.close());

  test('answers the active policy: version 1, the hash of its document, its groups and admins', async () => {
    const p = await dispatch(d.dev, 'policy.get', {});
    const active = d.dev.policies.current();
    assert.equal(p.version, 1);
    assert.deepEqual(p.hash, policyHash(active.doc));
    assert.equal(p.activatedAt, active.activatedAt);
    const doc = p.document as Record<string, unknown>;
    assert.equal(doc.deviceId, d.dev.config.deviceId);
    const hot = (doc.groups as Record<string, Record<string, unknown>>).hot;
    assert.ok(hot, JSON.stringify(Object.keys(doc.groups as object)));
    assert.deepEqual(hot.chains, [BigInt(CHAIN_ID)]);
    assert.deepEqual(
      (doc.admins as { id: string }[]).map((a) => a.id),
      ['admin-1', 'admin-2', 'admin-3'],
    );
  });

  test('an argument is refused as bad_request naming it', async () => {
    await assert.rejects(dispatch(d.dev, 'policy.get', { version: 1 }), typedError('bad_request', { field: 'args.version' }));
  });
});
