// The audit log: one hash chain, appended only inside transactions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import { openDb } from '../../../appliance/state/db.js';
import { AuditLog, GENESIS_PREV_HASH } from '../../../appliance/state/audit-log.js';
import { decodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { ApplianceError } from '../../../protocol/errors.js';

test('entries chain by hash with contiguous seq, and append needs a transaction', () => {
  const db = openDb(':memory:');
  const log = new AuditLog(db, 'hsm-test');
  assert.throws(() => log.append(1, { kind: 'x' }), (e: unknown) => e instanceof ApplianceError && e.code === 'internal');
  for (let i = 0; i < 5; i++) db.transaction(() => log.append(100 + i, { kind: 'test', n: i }))();
  // A rolled-back append leaves no trace.
  assert.throws(() =>
    db.transaction(() => {
      log.append(200, { kind: 'rolled-back' });
      throw new Error('abort');
    })(),
  );
  const entries = log.list(1, 100);
  assert.equal(entries.length, 5);
  let prev = GENESIS_PREV_HASH;
  entries.forEach((e, i) => {
    const payload = decodeCanonical(e.entry) as CborMap;
    assert.equal(payload.seq, i + 1);
    assert.equal(e.seq, i + 1);
    assert.deepEqual(payload.prevHash, prev);
    assert.equal(payload.deviceId, 'hsm-test');
    assert.deepEqual(e.hash, sha256(e.entry));
    prev = e.hash;
  });
  assert.deepEqual(log.head(), { seq: 5, hash: prev });
  db.close();
});
