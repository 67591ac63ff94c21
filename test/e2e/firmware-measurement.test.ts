// A device booted with firmware whose measurement differs from the enrolled one refuses to sign, and
// says why, until an admin quorum approves the new measurement (a logged firmware update).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { runningCodeRoot } from '../../attestation/measurement.js';
import { signStatement } from '../../cli/approver-key.js';
import { encodeFirmwareStatement } from '../../firmware-policy/firmware-statement.js';
import { repoRoot } from '../helpers/vectors.js';
import { advanceDeviceTime, CHAIN_ID, startTestDevice, whitelist, type TestDevice } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

let dev: TestDevice;
let patched: string;
const recipient = privateKeyToAccount(generatePrivateKey()).address;

describe('firmware measurement gate', () => {
  before(async () => {
    dev = await startTestDevice();
    await whitelist(dev, recipient);
    await advanceDeviceTime(dev, 2); // past the test policy's 2 s whitelist hold, on the device's own clock
    // Another build: the same code with one byte changed in a measured file.
    patched = mkdtempSync(join(tmpdir(), 'fw-'));
    cpSync(runningCodeRoot(), join(patched, 'dist'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(patched, 'node_modules'));
    const target = join(patched, 'dist', 'appliance', 'log.js');
    const code = readFileSync(target);
    // One byte: the debug level's rank 10 becomes 11 (same behaviour, different code).
    const at = code.indexOf('debug: 10');
    assert.ok(at >= 0);
    code[at + 8] = '1'.charCodeAt(0);
    writeFileSync(target, code);
    await dev.restartAppliance('SIGTERM', join(patched, 'dist', 'appliance', 'main.js'));
  });
  after(async () => {
    await dev?.stop();
    if (patched) rmSync(patched, { recursive: true, force: true });
  });

  const sign = (key: string) =>
    dev.request(
      'POST',
      '/v1/sign/evm-transaction',
      dev.tokens.orchestrator,
      {
        keyId: String(dev.keys[0]?.keyId),
        transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce: 0, to: recipient, value: '1000', gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' },
      },
      { 'Idempotency-Key': key },
    );

  test('a changed firmware byte makes the device refuse to sign, and say why, until an admin quorum approves the new measurement', async () => {
    const info = await dev.request('GET', '/v1/device', dev.tokens.auditor);
    assert.equal(info.json.firmwareApproved, false);
    const running = String(info.json.measurement);
    assert.notEqual(running, info.json.enrolledMeasurement);

    const refused = await sign('fw-1');
    assert.equal(refused.status, 403);
    const err = problemFields(refused.json) as { code: string; message: string; details: { code: string } };
    assert.equal(err.details.code, 'measurement_not_approved');
    assert.match(err.message, /not the enrolled/);

    const approve = async (i: number) => {
      const admin = dev.people.admins[i]!;
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const sig = signStatement(admin, encodeFirmwareStatement(dev.deviceId, Buffer.from(running.slice(2), 'hex'), admin.id, expiresAt));
      return dev.request('POST', '/v1/firmware/approvals', dev.tokens.admin, { measurement: running, adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
    };
    const first = await approve(0);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.status, 'pending');
    assert.equal((await sign('fw-2')).status, 403, 'one admin is not a quorum');

    const second = await approve(1);
    assert.equal(second.json.status, 'accepted');
    assert.equal(second.json.firmwareApproved, true);
    const signed = await sign('fw-3');
    assert.equal(signed.status, 200, JSON.stringify(signed.json));

    const audit = await dev.request('GET', '/v1/audit?fromSeq=1&limit=1000', dev.tokens.auditor);
    const kinds = (audit.json.entries as { payload: { kind: string; outcome?: string } }[]).map((e) => `${e.payload.kind}:${e.payload.outcome ?? ''}`);
    assert.ok(kinds.includes('firmware.approve:accepted'), 'the firmware update is logged');
  });
});
