// The state seal over the stores (a software key stands in for the token's): writes through the
// stores keep the digest equal to the sum of the row MACs; a row edited behind the stores' back is
// refused where a decision reads it; a deleted row shows in the digest; a rolled-back savepoint
// leaves no trace; and no store write happens outside a sealed transaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WhitelistStore } from '../../../appliance/state/whitelist-store.js';
import { SpendLedger } from '../../../appliance/state/spend-ledger.js';
import { NonceGuardStore } from '../../../appliance/state/nonce-guard-store.js';
import { RequestStore } from '../../../appliance/state/request-store.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { sealedDb } from '../../helpers/sealed-db.js';

const addr = new Uint8Array(20).fill(7);
const isTampered = (e: unknown) => e instanceof ApplianceError && e.code === 'denied' && (e.details as { code: string }).code === 'state_tampered';

function populated() {
  const { db, seal } = sealedDb();
  const whitelist = new WhitelistStore(db, seal);
  const spend = new SpendLedger(db, seal);
  const nonces = new NonceGuardStore(db, seal);
  const requests = new RequestStore(db, seal);
  seal.transaction(() => {
    whitelist.put({ group: 'hot', chainId: 1n, address: addr, label: 'a', activeAt: 10, proposalId: 'p1', addedAt: 5 });
    whitelist.put({ group: 'hot', chainId: 1n, address: addr, label: 'b', activeAt: 11, proposalId: 'p2', addedAt: 6 }); // replaces
    spend.reserve('k', 'eth', 5n, 100, 'r1');
    spend.reserve('k', 'eth', 7n, 101, 'r2');
    nonces.record({ keyId: 'k', chainId: 1n, nonce: 0n, intentDigest: new Uint8Array(32), maxFeePerGas: 2n, maxPriorityFeePerGas: 1n, cancelled: false, requestId: 'r1', now: 100 });
    nonces.record({ keyId: 'k', chainId: 1n, nonce: 0n, intentDigest: new Uint8Array(32).fill(1), maxFeePerGas: 3n, maxPriorityFeePerGas: 2n, cancelled: false, requestId: 'r3', now: 102 });
    requests.insert({
      requestId: 'r1',
      requestHash: new Uint8Array(32),
      kind: 'sign.evm-tx',
      status: 'reserved',
      requester: 'o',
      keyId: 'k',
      intentDigest: null,
      args: new Uint8Array([0xa0]),
      createdAt: 100,
      updatedAt: 100,
      response: null,
    });
    requests.update('r1', 'signed', new Uint8Array([0xa1, 0x61, 0x61, 0x01]), 103);
    requests.addApproval('r1', { approverId: 'alice', expiresAt: 200, signature: new Uint8Array(64) });
    assert.equal(requests.addApproval('r1', { approverId: 'alice', expiresAt: 300, signature: new Uint8Array(64) }), false);
  });
  return { db, seal, whitelist, spend, nonces, requests };
}

test('the stored digest equals the sum of the row MACs, every row verifies, and the checkpoint is genuine', () => {
  const { db, seal, spend } = populated();
  const scan = seal.scanRows();
  assert.deepEqual(scan.findings, []);
  const cp = seal.readCheckpoint();
  assert.ok(cp?.genuine);
  assert.deepEqual(cp.checkpoint.digest, scan.digest);
  assert.equal(cp.checkpoint.gen, 2, 'one checkpoint per sealed transaction');
  assert.deepEqual(spend.usage('k', 'eth', 0), { amount: 12n, count: 2 });
  db.close();
});

test('a row edited outside the stores is refused where a decision reads it, and found by the scan', () => {
  const { db, seal, whitelist, spend } = populated();
  db.prepare("UPDATE spend SET cum_amount = '1' WHERE request_id = 'r2'").run();
  assert.throws(() => spend.usage('k', 'eth', 0), isTampered);
  assert.match(seal.findings.join(), /spend row \(id=2\): its MAC does not match/);
  db.prepare('UPDATE whitelist SET active_at = 0').run();
  assert.throws(() => whitelist.entry('hot', 1n, addr), isTampered);
  assert.equal(seal.scanRows().findings.length, 2);
  db.close();
});

test('a deleted row keeps every remaining MAC valid but changes the digest', () => {
  const { db, seal } = populated();
  db.prepare("DELETE FROM spend WHERE request_id = 'r2'").run();
  const scan = seal.scanRows();
  assert.deepEqual(scan.findings, []);
  assert.notDeepEqual(scan.digest, seal.readCheckpoint()?.checkpoint.digest);
  db.close();
});

test('a rolled-back savepoint leaves the digest as it was; writes outside a sealed transaction are refused', () => {
  const { db, seal, spend } = populated();
  seal.transaction(() => {
    assert.throws(() =>
      db.transaction(() => {
        spend.reserve('k', 'eth', 1n, 104, 'r4');
        throw new Error('abort this one');
      })(),
    );
    spend.reserve('k', 'eth', 2n, 105, 'r5');
  });
  const scan = seal.scanRows();
  assert.deepEqual(scan.findings, []);
  assert.deepEqual(seal.readCheckpoint()?.checkpoint.digest, scan.digest);
  assert.throws(
    () => spend.reserve('k', 'eth', 1n, 106, 'r6'),
    (e: unknown) => e instanceof ApplianceError && e.code === 'internal',
  );
  assert.throws(
    () => db.transaction(() => spend.reserve('k', 'eth', 1n, 106, 'r6'))(),
    (e: unknown) => e instanceof ApplianceError && e.code === 'internal',
  );
  db.close();
});
