// Issue 11 item 11, the signing flow's side (appliance/signing-flow.ts): a token that hands back a
// signature which does not recover to the signing key gets nothing released. The device runs in this
// process on a real SoftHSM2 token with real sealed state and audit log; the hostile token is the
// real one whose answer is swapped (it signs another digest, or with another of its keys), because a
// faulty or hostile token is exactly the attacker here. The refusal is typed, audited as sign_failed
// with its fault and the reservation it keeps, and a retry returns that answer, never a signature.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTransaction, recoverTransactionAddress, type Hex } from 'viem';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { createDevice } from '../../cli/device-create.js';
import { policyFromJson } from '../../host-bridge/policy-json.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { devicePaths, readDeviceConfig, readSecretFile } from '../../softhsm-config/device-layout.js';
import { KeyStore } from '../../appliance/keystore.js';
import { closeDevice, openDevice, type Device } from '../../appliance/device.js';
import { dispatch } from '../../appliance/dispatch.js';
import { runningMeasurement } from '../helpers/running-measurement.js';
import { SignatureRecoveryError } from '../../firmware-policy/evm/secp256k1-signature.js';
import { CHAIN_ID, makePeople, testPolicyJson } from '../helpers/test-device.js';

const RECIPIENT = new Uint8Array(20).fill(0x42);

let varRoot: string;
let dev: Device;
let keystore: KeyStore;
let keys: CborMap[];
let nonce = 0;

const keyId = (i: number) => String(keys[i]?.keyId);
const ckaOf = (i: number) => dev.keys.get(keyId(i))!.ckaId;

function signArgs(requestId: string, value: bigint): CborMap {
  const tx: CborMap = {
    type: 'eip1559',
    chainId: BigInt(CHAIN_ID),
    nonce: BigInt(nonce++),
    gasLimit: 21_000n,
    to: RECIPIENT,
    value,
    data: new Uint8Array(0),
    maxFeePerGas: 20_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  };
  return { requestId, requester: 'orchestrator', keyId: keyId(0), tx };
}

function auditEntry(seq: number): CborMap {
  const row = dev.db.prepare('SELECT entry FROM audit WHERE seq = ?').get(seq) as { entry: Buffer };
  return entryPayload(new Uint8Array(row.entry));
}

function lastSeq(): number {
  return (dev.db.prepare('SELECT MAX(seq) AS s FROM audit').get() as { s: number }).s;
}

describe('signing flow: nothing is released unless the signature recovers to the signing key', () => {
  const honestSign = () => KeyStore.prototype.signDigest;

  before(async () => {
    varRoot = mkdtempSync(join(tmpdir(), 'hsm-recovery-'));
    const people = makePeople();
    const json = testPolicyJson(people);
    json.groups.hot!.whitelistRequired = false; // this test is about the token, not recipients
    const created = await createDevice({
      varRoot,
      name: 'dev',
      policy: (id) => policyFromJson(json, id),
      keys: [
        { label: 'hot-1', group: 'hot' },
        { label: 'hot-2', group: 'hot' },
      ],
      adminSigners: people.admins,
      measurement: runningMeasurement(),
    });
    keys = created.keys;
    const paths = devicePaths(varRoot, 'dev');
    process.env.SOFTHSM2_CONF = paths.softhsmConf;
    const config = readDeviceConfig(paths);
    keystore = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 });
    dev = openDevice({ config, stateDb: paths.stateDb, keystore, measurement: runningMeasurement() });
  });

  after(() => {
    if (dev) closeDevice(dev);
    if (varRoot) rmSync(varRoot, { recursive: true, force: true });
  });

  const hostile: [string, (real: KeyStore['signDigest'], ckaId: Uint8Array, digest: Uint8Array) => Promise<Uint8Array>][] = [
    ['signs another digest with the right key', (real, ckaId, digest) => real(ckaId, keccak_256(digest))],
    ['signs the digest with another of its keys', (real, _ckaId, digest) => real(ckaOf(1), digest)],
  ];

  for (const [what, answer] of hostile) {
    test(`a token that ${what}: typed refusal, sign_failed audited with the fault and the kept reservation, no signature on retry`, async () => {
      const real = honestSign().bind(keystore);
      keystore.signDigest = (ckaId, digest) => answer(real, ckaId, digest);
      const requestId = `hostile-${nonce}`;
      const args = signArgs(requestId, 1000n);
      const before = lastSeq();
      try {
        await assert.rejects(
          dispatch(dev, 'sign.evm-tx', args),
          (e: unknown) => e instanceof SignatureRecoveryError && e.fault === 'not_by_key' && e instanceof ApplianceError && e.code === 'internal',
        );
      } finally {
        keystore.signDigest = honestSign();
      }
      // exactly one audit entry: the failure, with no transaction hash
      assert.equal(lastSeq(), before + 1);
      const entry = auditEntry(before + 1);
      assert.equal(entry.requestId, requestId);
      assert.equal(entry.outcome, 'allow');
      assert.equal(entry.result, 'sign_failed');
      assert.equal(entry.fault, 'not_by_key');
      assert.equal(entry.txHash, undefined);
      assert.deepEqual(
        (entry.reservationsKept as CborMap[]).map((r) => [r.keyId, BigInt(r.amount as number | bigint)]),
        [[keyId(0), 1000n]],
        'the reservation is kept (limits never under-counted) and named',
      );
      // the request is aborted; a retry returns the stored failure, never a signature
      assert.equal(dev.requests.get(requestId)?.status, 'aborted');
      const again = await dispatch(dev, 'sign.evm-tx', args);
      assert.equal(again.status, 'failed');
      assert.equal(again.fault, 'not_by_key');
      assert.equal(again.auditSeq, before + 1);
      assert.equal(again.rawTransaction, undefined);
      assert.equal(lastSeq(), before + 1, 'the retry adds no entry and uses no key');
      assert.equal(dev.spend.reservationsOf(requestId).length, 1);
    });
  }

  test('the honest token: the released transaction recovers to the key address', async () => {
    const res = await dispatch(dev, 'sign.evm-tx', signArgs('honest-1', 2000n));
    assert.equal(res.status, 'signed');
    const raw = ('0x' + Buffer.from(res.rawTransaction as Uint8Array).toString('hex')) as Hex;
    assert.equal(parseTransaction(raw).chainId, CHAIN_ID);
    assert.equal((await recoverTransactionAddress({ serializedTransaction: raw as never })).toLowerCase(), String(keys[0]?.address).toLowerCase());
    assert.equal(auditEntry(Number(res.auditSeq)).result, 'signed');
  });
});
