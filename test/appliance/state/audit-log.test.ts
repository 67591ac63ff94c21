// The audit log: one hash chain of COSE_Sign1 entries signed by the device key, appended only inside
// transactions; it refuses to append before the device has a signing key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import { openDb } from '../../../appliance/state/db.js';
import { AuditLog, GENESIS_PREV_HASH } from '../../../appliance/state/audit-log.js';
import { decodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { decodeCoseSign1, isCanonicalCoseSign1, verifyCoseSign1 } from '../../../attestation/cose-sign1.js';

test('entries are signed COSE_Sign1, chain by hash with contiguous seq, and append needs a transaction and a key', () => {
  const db = openDb(':memory:');
  const log = new AuditLog(db, 'hsm-test');
  assert.throws(
    () => db.transaction(() => log.append(1, { kind: 'refusal' }))(),
    (e: unknown) => e instanceof ApplianceError && e.code === 'unavailable',
  );
  // Stand-in for the token's attestation key (the real one is exercised end to end).
  const { secretKey } = p256.keygen();
  const publicKey = p256.getPublicKey(secretKey, false);
  const measurement = new Uint8Array(32).fill(7);
  log.attachSigner({ measurement, sign: (tbs) => p256.sign(tbs, secretKey, { prehash: true, format: 'compact' }) });
  assert.throws(
    () => log.append(1, { kind: 'refusal' }),
    (e: unknown) => e instanceof ApplianceError && e.code === 'internal',
  );
  for (let i = 0; i < 5; i++) db.transaction(() => log.append(100 + i, { kind: 'refusal', n: i }))();
  assert.throws(() =>
    db.transaction(() => {
      log.append(200, { kind: 'refusal', rolledBack: true });
      throw new Error('abort');
    })(),
  );
  const entries = log.list(1, 100);
  assert.equal(entries.length, 5, 'the rolled-back append left no trace');
  let prev = GENESIS_PREV_HASH;
  entries.forEach((e, i) => {
    assert.ok(isCanonicalCoseSign1(e.entry));
    assert.ok(verifyCoseSign1(e.entry, publicKey));
    const cose = decodeCoseSign1(e.entry);
    assert.deepEqual(cose.protectedHeader.get(4), new TextEncoder().encode('hsm-test'));
    const payload = decodeCanonical(cose.payload!) as CborMap;
    assert.equal(payload.seq, i + 1);
    assert.equal(e.seq, i + 1);
    assert.deepEqual(payload.prevHash, prev);
    assert.equal(payload.deviceId, 'hsm-test');
    assert.deepEqual(payload.measurement, measurement);
    assert.deepEqual(e.hash, sha256(e.entry));
    prev = e.hash;
  });
  assert.deepEqual(log.head(), { seq: 5, hash: prev });
  db.close();
});

test('a page holds at most maxBytes of entries, and always its first entry (issue 11 item 7)', () => {
  const db = openDb(':memory:');
  const log = new AuditLog(db, 'hsm-test');
  const { secretKey } = p256.keygen();
  log.attachSigner({ measurement: new Uint8Array(32), sign: (tbs) => p256.sign(tbs, secretKey, { prehash: true, format: 'compact' }) });
  // Entries of about 10 KB, like ones that embed a policy document.
  for (let i = 0; i < 6; i++) db.transaction(() => log.append(100 + i, { kind: 'refusal', blob: new Uint8Array(10_000).fill(i) }))();
  const size = log.list(1, 1)[0]!.entry.length;
  assert.ok(size > 10_000 && size < 10_400);
  assert.deepEqual(
    log.list(1, 100, 3 * size + 10).map((e) => e.seq),
    [1, 2, 3],
  );
  assert.deepEqual(
    log.list(4, 100, 3 * size + 10).map((e) => e.seq),
    [4, 5, 6],
  );
  assert.deepEqual(
    log.list(2, 100, 10).map((e) => e.seq),
    [2],
    'one entry even when it alone is over the budget',
  );
  assert.deepEqual(
    log.list(1, 2, 1 << 20).map((e) => e.seq),
    [1, 2],
    'the count still bounds the page',
  );
  assert.equal(log.list(1, 100).length, 6, 'no byte budget: as before');
  db.close();
});
