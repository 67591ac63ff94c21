// Row MACs under the row key (docs/sealed-state.md): a row's MAC is HMAC-SHA256 under a key the
// token's seal key derives, so writing or first reading a row costs no token call, while the
// checkpoint's MAC stays the token's and names the scheme. A database sealed the older way (each row
// MACed in the token) is still read, its edits still found, and the first boot that finds it intact
// MACs its rows again under the row key: here on a real device, with its SoftHSM2 token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, SEALED_TABLES, type Db, type SealedTable } from '../../../appliance/state/db.js';
import { StateSeal, type SealKey } from '../../../appliance/state/state-seal.js';
import { softwareSealKey } from '../../../appliance/state/software-seal-key.js';
import { checkpointMacInput, digestAdd, encodeAnchor, rowKeyInput, rowMacInput, ZERO_DIGEST, type Checkpoint, type SqlValue } from '../../../appliance/state/seal-digest.js';
import { SpendLedger } from '../../../appliance/state/spend-ledger.js';
import { createDevice } from '../../../cli/device-create.js';
import { policyFromJson } from '../../../host-bridge/policy-json.js';
import { devicePaths, readDeviceConfig, readSecretFile } from '../../../softhsm-config/device-layout.js';
import { KeyStore } from '../../../appliance/keystore.js';
import { closeDevice, openDevice } from '../../../appliance/device.js';
import { measureCode, runningCodeRoot } from '../../../attestation/measurement.js';
import { makePeople, testPolicyJson } from '../../helpers/test-device.js';

const DEVICE = 'hsm-test';

/** A software seal key that counts the HMACs asked of it (the token calls the device would make). */
function countingKey(): SealKey & { calls: number } {
  const inner = softwareSealKey();
  const k = { calls: 0, hmac: (m: Uint8Array) => (k.calls++, inner.hmac(m)) };
  return k;
}

const rowValues = (table: SealedTable, row: Record<string, unknown>) => SEALED_TABLES[table].map((c) => row[c] as SqlValue);

/**
 * Rewrites a database in the older format: each row MACed by the seal key itself, the digest and a
 * scheme-1 checkpoint MAC. Returns the checkpoint (a device's anchor named it).
 */
function sealTheOldWay(db: Db, key: SealKey, deviceId: string): Checkpoint {
  let digest: Uint8Array = ZERO_DIGEST;
  return db.transaction(() => {
    for (const table of Object.keys(SEALED_TABLES) as SealedTable[]) {
      for (const row of db.prepare(`SELECT rowid AS _rowid, * FROM ${table}`).all() as Record<string, unknown>[]) {
        const mac = key.hmac(rowMacInput(table, rowValues(table, row)));
        db.prepare(`UPDATE ${table} SET mac = ? WHERE rowid = ?`).run(mac, row._rowid);
        digest = digestAdd(digest, mac);
      }
    }
    const cp = db.prepare('SELECT gen, head_seq, head_hash, time FROM seal WHERE id = 1').get() as { gen: number; head_seq: number; head_hash: Buffer; time: number };
    const checkpoint = { gen: cp.gen, digest, headSeq: cp.head_seq, headHash: new Uint8Array(cp.head_hash), time: cp.time };
    db.prepare('UPDATE seal SET digest = ?, mac = ? WHERE id = 1').run(digest, key.hmac(checkpointMacInput(deviceId, checkpoint, 1)));
    return checkpoint;
  })();
}

function populatedSeal(key: SealKey) {
  const db = openDb(':memory:');
  const seal = new StateSeal(db, DEVICE, () => 1_700_000_000);
  seal.attachKey(key);
  seal.transaction(() => seal.initialize());
  const spend = new SpendLedger(db, seal);
  seal.transaction(() => {
    for (let i = 0; i < 10; i++) spend.reserve('k', 'eth', BigInt(i + 1), 100 + i, `r${i}`);
  });
  return { db, seal, spend };
}

test("each row's MAC is HMAC-SHA256 under the derived row key; the token MACs only the key's derivation and the checkpoints", () => {
  const key = countingKey();
  const { db, seal } = populatedSeal(key);
  // The checkpoint made (its insert and the transaction's end), then ten rows: three checkpoint MACs and one derivation.
  assert.equal(key.calls, 4, 'ten rows written, no token call for any of them');
  const rowKey = Buffer.from(key.hmac(rowKeyInput(DEVICE)));
  for (const row of db.prepare('SELECT * FROM spend').all() as Record<string, unknown>[]) {
    const expected = createHmac('sha256', rowKey)
      .update(rowMacInput('spend', rowValues('spend', row)))
      .digest();
    assert.deepEqual(Buffer.from(row.mac as Uint8Array), expected);
  }
  const cp = seal.readCheckpoint();
  assert.equal(cp?.genuine, true);
  assert.equal(seal.needsReseal(), false);
  assert.deepEqual(seal.scanRows().findings, []);
});

test('a database sealed the older way is read, its edits are found, and a reseal moves it to the row key', () => {
  const key = softwareSealKey();
  const { db } = populatedSeal(key);
  sealTheOldWay(db, key, DEVICE);
  const seal = new StateSeal(db, DEVICE, () => 1_700_000_000); // a new process: the scheme is learned from the checkpoint
  seal.attachKey(key);
  assert.equal(seal.readCheckpoint()?.genuine, true, 'the scheme-1 checkpoint verifies');
  assert.equal(seal.needsReseal(), true);
  const clean = seal.scanRows();
  assert.deepEqual(clean.findings, [], 'every old row verifies under the token-made MACs');

  db.prepare("UPDATE spend SET amount = '999' WHERE id = 3").run();
  assert.match(seal.scanRows().findings.join(), /spend row \(id=3\): its MAC does not match/, 'an edit is still found in the older format');
  db.prepare("UPDATE spend SET amount = '3' WHERE id = 3").run();

  const rows = seal.transaction(() => seal.resealRows());
  assert.equal(rows, 10);
  assert.equal(seal.needsReseal(), false);
  const after = seal.scanRows();
  assert.deepEqual(after.findings, []);
  const cp = seal.readCheckpoint();
  assert.equal(cp?.genuine, true);
  assert.deepEqual(cp?.checkpoint.digest, after.digest, 'the digest is the sum of the new MACs');
  assert.notDeepEqual(after.digest, clean.digest, 'every MAC changed');
  const rowKey = Buffer.from(key.hmac(rowKeyInput(DEVICE)));
  const row = db.prepare('SELECT * FROM spend WHERE id = 1').get() as Record<string, unknown>;
  assert.deepEqual(
    Buffer.from(row.mac as Uint8Array),
    createHmac('sha256', rowKey)
      .update(rowMacInput('spend', rowValues('spend', row)))
      .digest(),
  );
});

test("a device sealed the older way boots intact and its rows move to the row key, under its token's seal key", async () => {
  const varRoot = mkdtempSync(join(tmpdir(), 'row-key-'));
  try {
    const people = makePeople();
    await createDevice({ varRoot, name: 'dev', policy: (id) => policyFromJson(testPolicyJson(people), id), keys: [{ label: 'hot-1', group: 'hot' }], adminSigners: people.admins });
    const paths = devicePaths(varRoot, 'dev');
    const config = readDeviceConfig(paths);
    process.env.SOFTHSM2_CONF = paths.softhsmConf;
    const measurement = measureCode(runningCodeRoot()).measurement;
    const open = () =>
      openDevice({
        config,
        stateDb: paths.stateDb,
        keystore: KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 }),
        measurement,
      });

    // The older format, written with the token's own seal key (as a device before the row key did).
    const ks = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 });
    const db = openDb(paths.stateDb);
    try {
      const checkpoint = sealTheOldWay(db, { hmac: (m) => ks.stateSealHmacSync(config.deviceId, m) }, config.deviceId);
      for (const slot of [0, 1]) ks.writeStateAnchorSync(config.deviceId, slot, encodeAnchor({ deviceId: config.deviceId, ...checkpoint }));
    } finally {
      db.close();
      ks.close();
    }

    const dev = open();
    try {
      assert.deepEqual(dev.sealed.status().findings, [], 'no tampering reported');
      assert.equal(dev.sealed.status().ok, true);
      assert.equal(dev.seal.needsReseal(), false, 'the boot MACed the rows again');
      assert.deepEqual(dev.seal.scanRows().findings, []);
    } finally {
      closeDevice(dev);
    }
    const again = open();
    try {
      assert.equal(again.sealed.status().ok, true, 'the next boot finds the resealed state intact and anchored');
      assert.equal(again.seal.needsReseal(), false);
    } finally {
      closeDevice(again);
    }
  } finally {
    rmSync(varRoot, { recursive: true, force: true });
  }
});
