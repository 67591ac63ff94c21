// Approvals stored per request (appliance/state/request-store.ts): a second approval from the same
// approver is not added, and a replacement (issue 11 item 6: a fresh approval in place of one that
// no longer counts) keeps one sealed row per approver, whose MAC and the state digest stay valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestStore } from '../../../appliance/state/request-store.js';
import { sealedDb } from '../../helpers/sealed-db.js';

const rec = {
  requestId: 'r1',
  requestHash: new Uint8Array(32),
  kind: 'sign.evm-tx',
  status: 'pending' as const,
  requester: 'orch',
  keyId: 'k',
  intentDigest: new Uint8Array(32),
  args: new Uint8Array([0xa0]),
  createdAt: 1,
  updatedAt: 1,
  response: null,
};

test("replaceApproval puts the fresh approval in the approver's sealed row; addApproval never duplicates", () => {
  const { db, seal } = sealedDb();
  const store = new RequestStore(db, seal);
  const old = { approverId: 'bob', expiresAt: 100, signature: new Uint8Array([1, 2, 3]) };
  const fresh = { approverId: 'bob', expiresAt: 900, signature: new Uint8Array([4, 5, 6]) };
  seal.transaction(() => {
    store.insert(rec);
    assert.equal(store.addApproval('r1', { approverId: 'carol', expiresAt: 500, signature: new Uint8Array([9]) }), true);
    assert.equal(store.addApproval('r1', old), true);
    assert.equal(store.addApproval('r1', fresh), false, 'a second approval from bob is not added');
  });
  assert.deepEqual(
    store.approvals('r1').map((a) => [a.approverId, a.expiresAt]),
    [
      ['carol', 500],
      ['bob', 100],
    ],
  );
  seal.transaction(() => assert.equal(store.replaceApproval('r1', fresh), true));
  assert.deepEqual(store.approvals('r1'), [{ approverId: 'carol', expiresAt: 500, signature: new Uint8Array([9]) }, fresh], 'read back through the seal check, in the same order');
  seal.transaction(() => assert.equal(store.replaceApproval('r1', { ...fresh, approverId: 'dave' }), false, 'nothing to replace'));
  const scan = seal.scanRows();
  assert.deepEqual(scan.findings, [], 'every row, the replaced one included, carries its valid MAC');
  const cp = seal.readCheckpoint();
  assert.ok(cp?.genuine);
  assert.deepEqual(cp.checkpoint.digest, scan.digest, 'the state digest followed the replacement (the old MAC left it)');
  db.close();
});
