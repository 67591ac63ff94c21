// Issue 11, item 14: the firmware measurement covers what the firmware runs, the libraries it loads
// from node_modules included. The real appliance process, on a real SoftHSM2 token, through the bridge:
// every file it loads while it boots and signs is in its measurement, and a dependency changed by one
// comment line (in a copy of the tree, never in the shared node_modules) boots as unapproved firmware
// that refuses to sign until the admin quorum approves its measurement.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { measureCode, runningCodeRoot } from '../../attestation/measurement.js';
import { signStatement } from '../../cli/approver-key.js';
import { encodeFirmwareStatement } from '../../firmware-policy/firmware-statement.js';
import { copyFirmwareTree, type FirmwareTree } from '../../reliability/firmware-tree.js';
import { CHAIN_ID, startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

const RECORDER = join(runningCodeRoot(), 'test', 'helpers', 'load-recorder.js');
const recipient = privateKeyToAccount(generatePrivateKey()).address;
let dev: TestDevice;
let nonce = 0;
let scratch: string;
let tree: FirmwareTree | undefined;

const sign = (key: string) =>
  dev.request(
    'POST',
    '/v1/sign/evm-transaction',
    dev.tokens.orchestrator,
    {
      keyId: String(dev.keys[0]?.keyId),
      transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce: nonce++, to: recipient, value: '1000', gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' },
    },
    { 'Idempotency-Key': key },
  );

/** Real paths of the files a recorded appliance loaded (node: built-ins and the recorder left out). */
function loadedFiles(record: string): string[] {
  const recorder = new Set([RECORDER, join(runningCodeRoot(), 'test', 'helpers', 'load-recorder-hooks.js')].map((p) => realpathSync(p)));
  const files = new Set<string>();
  for (const line of readFileSync(record, 'utf8').split('\n')) {
    const at = line.indexOf(' ');
    if (at < 0) continue;
    const what = line.slice(at + 1);
    if (what.startsWith('node:')) continue;
    const path = what.startsWith('file:') ? fileURLToPath(what) : what;
    const real = realpathSync(path);
    if (!recorder.has(real)) files.add(real);
  }
  return [...files].sort();
}

describe('the firmware measurement covers every file the appliance loads (issue 11, item 14)', () => {
  before(async () => {
    dev = await startTestDevice({ policy: (p) => testPolicyJson(p, { holdSeconds: 0 }) });
    await whitelist(dev, recipient);
    scratch = mkdtempSync(join(tmpdir(), 'measured-deps-'));
  });
  after(async () => {
    await dev?.stop();
    tree?.remove();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('every file the appliance process loads while it boots and signs is in its measurement, the node_modules files and native addons included', async () => {
    const record = join(scratch, 'loaded.txt');
    await dev.restartAppliance('SIGTERM', undefined, { NODE_OPTIONS: `--import=${pathToFileURL(RECORDER).href}`, LOAD_RECORD_FILE: record });
    const signed = await sign('deps-loaded');
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.equal(signed.json.status, 'signed');
    await dev.restartAppliance();

    const m = measureCode(runningCodeRoot());
    assert.equal(dev.appliance.measurement, Buffer.from(m.measurement).toString('hex'), 'the appliance measured what this test measures');
    const measured = new Set(m.files.map((f) => f.file));
    const loaded = loadedFiles(record);
    const fromPackages = loaded.filter((f) => f.includes(`${sep}node_modules${sep}`));
    // The recording saw the libraries the issue names, so an empty or partial record cannot pass.
    for (const part of ['@noble/curves', '@noble/hashes', '@peculiar/asn1-x509', '@peculiar/asn1-schema', 'asn1js', 'better-sqlite3/lib', 'bindings']) {
      assert.ok(
        fromPackages.some((f) => f.includes(`${sep}node_modules${sep}${part.split('/').join(sep)}`)),
        `the appliance loaded ${part}`,
      );
    }
    for (const addon of ['better_sqlite3.node', 'pkcs11.node'])
      assert.ok(
        fromPackages.some((f) => f.endsWith(`${sep}${addon}`)),
        `the appliance loaded ${addon}`,
      );
    assert.ok(
      loaded.some((f) => f.endsWith(`${sep}attestation${sep}cose-sign1.js`)),
      'the appliance loaded attestation/ code',
    );

    const unmeasured = loaded.filter((f) => !measured.has(f));
    assert.deepEqual(unmeasured, [], 'files the appliance loaded that its measurement does not cover');
  });

  test('a dependency changed by one comment line gives another measurement, and the device refuses to sign (measurement_not_approved) until the admin quorum approves it', async () => {
    tree = copyFirmwareTree(runningCodeRoot(), 'measured-deps-tree-');
    assert.ok(!realpathSync(tree.packageFile('@noble/curves', 'secp256k1.js')).startsWith(realpathSync(join(runningCodeRoot(), '..', 'node_modules'))), 'the copy is a copy');

    // The faithful copy (only the measured packages in its node_modules) boots as the enrolled firmware and signs.
    await dev.restartAppliance('SIGTERM', tree.main);
    assert.equal(dev.appliance.firmwareApproved, true, 'a faithful copy measures as the enrolled firmware');
    const enrolled = dev.appliance.measurement;
    const faithful = await sign('deps-faithful');
    assert.equal(faithful.status, 200, JSON.stringify(faithful.json));

    // Swap the secp256k1 library for one that behaves the same but is not the approved file.
    tree.alterPackageFile('@noble/curves', 'secp256k1.js', '\n// swapped dependency\n');
    await dev.restartAppliance('SIGTERM', tree.main);
    assert.equal(dev.appliance.firmwareApproved, false);
    const running = dev.appliance.measurement;
    assert.notEqual(running, enrolled);
    assert.equal(running, Buffer.from(measureCode(join(tree.root, 'dist')).measurement).toString('hex'));

    const head = Number((await dev.request('GET', '/v1/audit?fromSeq=1&limit=1', dev.tokens.auditor)).json.headSeq);
    const refused = await sign('deps-swapped');
    assert.equal(refused.status, 403, JSON.stringify(refused.json));
    const err = problemFields(refused.json) as { code: string; details: { code: string; running: string; enrolled: string } };
    assert.equal(err.details.code, 'measurement_not_approved');
    assert.equal(err.details.running, running);
    assert.equal(err.details.enrolled, enrolled);
    const entries = (await dev.request('GET', `/v1/audit?fromSeq=${head + 1}&limit=1000`, dev.tokens.auditor)).json.entries as { payload: { kind: string; txHash?: unknown } }[];
    assert.ok(
      entries.every((e) => e.payload.txHash === undefined),
      'nothing was signed',
    );

    const approve = async (i: number) => {
      const admin = dev.people.admins[i]!;
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const sig = signStatement(admin, encodeFirmwareStatement(dev.deviceId, Buffer.from(running, 'hex'), admin.id, expiresAt));
      return dev.request('POST', '/v1/firmware/approvals', dev.tokens.admin, { measurement: '0x' + running, adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
    };
    assert.equal((await approve(0)).json.status, 'pending');
    assert.equal((await sign('deps-one-admin')).status, 403, 'one admin is not a quorum');
    const accepted = await approve(1);
    assert.equal(accepted.json.status, 'accepted', JSON.stringify(accepted.json));
    const signed = await sign('deps-approved');
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
  });

  test('the shared node_modules was not touched', () => {
    const original = join(runningCodeRoot(), '..', 'node_modules', '@noble', 'curves', 'secp256k1.js');
    assert.ok(existsSync(original));
    assert.ok(!readFileSync(original, 'utf8').includes('swapped dependency'));
  });
});
