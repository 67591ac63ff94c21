// Issue 11 item 9: the audit entry names the policy that decided. The signing flow decides, then
// awaits the token's signature; a policy activated in that gap must not be recorded in place of the
// one that decided (replay would then re-run the wrong version). The gap is provoked
// deterministically inside this test's own harness: the device runs in-process on a real SoftHSM2
// token and the real state, and the test's key store wrapper lets a second admin approve a stricter
// policy (which activates at once) while the first signature is being made. Nothing in the
// appliance's production code knows about this hook.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice } from '../../cli/device-create.js';
import { policyFromJson } from '../../host-bridge/policy-json.js';
import { signStatement } from '../../cli/approver-key.js';
import { devicePaths, readDeviceConfig, readSecretFile } from '../../softhsm-config/device-layout.js';
import { KeyStore } from '../../appliance/keystore.js';
import { closeDevice, openDevice, type Device } from '../../appliance/device.js';
import { dispatch } from '../../appliance/dispatch.js';
import { runningMeasurement } from '../helpers/running-measurement.js';
import { decodeCoseSign1 } from '../../attestation/cose-sign1.js';
import { replayDecisions } from '../../attestation/audit-replay.js';
import { encodePolicy, policyHash } from '../../firmware-policy/policy-document.js';
import { encodePolicyChangeStatement } from '../../firmware-policy/policy-governance.js';
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { CHAIN_ID, ETH, makePeople, testPolicyJson } from '../helpers/test-device.js';

const varRoot = mkdtempSync(join(tmpdir(), 'hsm-gap-'));
let dev: Device | undefined;
after(() => {
  if (dev) closeDevice(dev);
  rmSync(varRoot, { recursive: true, force: true });
});

const payloadOf = (cose: Uint8Array) => decodeCanonical(decodeCoseSign1(cose).payload ?? new Uint8Array()) as CborMap;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('a policy activated while the key signs is not recorded as the policy that decided; the entry replays', async () => {
  const people = makePeople();
  const json = testPolicyJson(people);
  json.groups.hot!.whitelistRequired = false;
  const created = await createDevice({
    varRoot,
    name: 'dev',
    policy: (id) => policyFromJson(json, id),
    keys: [{ label: 'hot-1', group: 'hot' }],
    adminSigners: people.admins,
    measurement: runningMeasurement(),
  });
  const paths = devicePaths(varRoot, 'dev');
  const config = readDeviceConfig(paths);
  process.env.SOFTHSM2_CONF = paths.softhsmConf;
  const keystore = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 });
  const d = openDevice({ config, stateDb: paths.stateDb, keystore, measurement: runningMeasurement() });
  dev = d;
  const v1 = d.policies.current();
  const keyId = String(created.keys[0]?.keyId);

  // Version 2 is stricter (0.1 ETH per transaction instead of 10), so its quorum activates it at once.
  const stricter = { ...json, groups: { hot: { ...json.groups.hot!, assets: { [`${CHAIN_ID}:native`]: { ...json.groups.hot!.assets[`${CHAIN_ID}:native`]!, perTxMax: (ETH / 10n).toString() } } } } };
  const v2doc = policyFromJson(stricter, config.deviceId, 2, v1.hash);
  const proposer = people.admins[2]!.id; // an admin principal that does not approve its own proposal
  const proposal = await dispatch(d, 'policy.propose', { requester: proposer, document: encodePolicy(v2doc) });
  const proposalId = String(proposal.proposalId);
  const approve = (i: number) => {
    const admin = people.admins[i]!;
    const expiresAt = d.clock() + 600;
    const statement = encodePolicyChangeStatement(config.deviceId, { id: proposalId, version: 2, hash: policyHash(v2doc), proposedBy: proposer }, admin.id, expiresAt);
    return dispatch(d, 'policy.approve', { proposalId, adminId: admin.id, expiresAt, signature: signStatement(admin, statement) });
  };
  await approve(0);
  assert.equal(d.policies.current().doc.version, 1, 'one admin of two: not yet active');

  // The hook: while the token signs the first request, the second admin approves and v2 activates.
  const sign = keystore.signDigest.bind(keystore);
  let activatedDuringSign = false;
  keystore.signDigest = async (ckaId, digest) => {
    if (!activatedDuringSign) {
      activatedDuringSign = true;
      await approve(1);
      assert.equal(d.policies.current().doc.version, 2, 'the stricter policy is active before the signature returns');
    }
    return sign(ckaId, digest);
  };

  // 0.5 ETH: allowed by v1 (10 ETH per tx, no approval under 1 ETH), denied by v2 (0.1 ETH per tx).
  const r = await dispatch(d, 'sign.evm-tx', {
    requestId: 'gap-1',
    requester: 'orchestrator',
    keyId,
    tx: {
      type: 'eip1559',
      chainId: BigInt(CHAIN_ID),
      nonce: 0n,
      to: new Uint8Array(20).fill(0x42),
      value: ETH / 2n,
      gasLimit: 21_000n,
      maxFeePerGas: 10n ** 10n,
      maxPriorityFeePerGas: 10n ** 9n,
      data: new Uint8Array(),
      accessList: [],
    },
  });
  assert.equal(activatedDuringSign, true);
  assert.equal(r.status, 'signed', JSON.stringify(r));
  const entry = payloadOf(r.auditEntry as Uint8Array);
  assert.equal(entry.policyVersion, 1, 'the entry names the version that decided');
  assert.equal(hex(entry.policyHash as Uint8Array), hex(v1.hash));
  assert.notEqual(hex(entry.policyHash as Uint8Array), hex(d.policies.current().hash));

  // The activation sits between the decision and the signed entry; replay of the whole log agrees.
  const page = await dispatch(d, 'audit.list', { fromSeq: 1, limit: 1000 });
  const payloads = (page.entries as CborMap[]).map((e) => payloadOf(e.entry as Uint8Array));
  const activation = payloads.find((p) => p.kind === 'policy.activate');
  assert.ok(activation && Number(activation.seq) < Number(entry.seq), 'v2 activated before the entry was written');
  const report = replayDecisions(payloads);
  assert.deepEqual(report.mismatches, []);
  assert.ok(report.confirmed >= 1);

  // And the next decision is v2's: the same transfer is now refused.
  keystore.signDigest = sign;
  const next = await dispatch(d, 'sign.evm-tx', {
    requestId: 'gap-2',
    requester: 'orchestrator',
    keyId,
    tx: {
      type: 'eip1559',
      chainId: BigInt(CHAIN_ID),
      nonce: 1n,
      to: new Uint8Array(20).fill(0x42),
      value: ETH / 2n,
      gasLimit: 21_000n,
      maxFeePerGas: 10n ** 10n,
      maxPriorityFeePerGas: 10n ** 9n,
      data: new Uint8Array(),
      accessList: [],
    },
  });
  assert.equal(next.status, 'denied');
});
