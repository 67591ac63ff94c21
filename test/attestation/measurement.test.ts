// Firmware measurement: the build writes the expected value; one changed byte of the device's code or
// of a package it loads, or another Node version, changes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureCode, runningCodeRoot, MEASURED_DIRS } from '../../attestation/measurement.js';
import { currentRuntime, runtimeManifest } from '../../attestation/runtime-identity.js';
import { copyFirmwareTree } from '../../reliability/firmware-tree.js';

const root = runningCodeRoot();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('the running code measures to the value the build wrote, and MEASUREMENT.json lists the runtime, the packages and every file', () => {
  const expected = JSON.parse(readFileSync(join(root, 'MEASUREMENT.json'), 'utf8')) as {
    measurement: string;
    runtime: Record<string, string>;
    packages: { name: string; version: string }[];
    files: { path: string; sha256: string }[];
  };
  const m = measureCode(root);
  assert.equal(hex(m.measurement), expected.measurement);
  for (const d of MEASURED_DIRS)
    assert.ok(
      m.files.some((f) => f.path.startsWith(`${d}/`)),
      `${d}/ is measured`,
    );
  assert.ok(!m.files.some((f) => f.path.startsWith('host-bridge/')), 'the bridge is outside the device');
  assert.equal(expected.runtime.node, process.version);
  assert.deepEqual(
    expected.files,
    m.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
  );
  for (const name of ['@noble/curves', '@noble/hashes', '@peculiar/asn1-x509', '@peculiar/asn1-schema', '@peculiar/asn1-ecc', 'asn1js', 'better-sqlite3', 'bindings', 'pkcs11js']) {
    const p = expected.packages.find((x) => x.name === name);
    assert.ok(p, `${name} is measured`);
    assert.ok(
      expected.files.some((f) => f.path.startsWith(`node_modules/${name}@${p.version}/`)),
      `${name}'s files are listed`,
    );
  }
  for (const addon of ['better_sqlite3.node', 'pkcs11.node'])
    assert.ok(
      expected.files.some((f) => f.path.endsWith(`/build/Release/${addon}`)),
      `${addon} is measured`,
    );
  for (const outside of ['hono', '@hono/node-server', 'viem', 'cbor2', 'typescript']) assert.ok(!expected.packages.some((p) => p.name === outside), `${outside} is not device firmware`);
});

test('another Node version, or another OpenSSL inside it, gives another measurement', () => {
  const base = measureCode(root);
  const runtime = currentRuntime();
  assert.equal(hex(measureCode(root, { runtime }).measurement), hex(base.measurement), 'the injected current runtime measures the same');
  const olderNode = measureCode(root, { runtime: { ...runtime, node: 'v20.11.0', 'versions.node': '20.11.0' } });
  assert.notEqual(hex(olderNode.measurement), hex(base.measurement));
  const otherSsl = measureCode(root, { runtime: { ...runtime, 'versions.openssl': '3.0.2' } });
  assert.notEqual(hex(otherSsl.measurement), hex(base.measurement));
  assert.notEqual(hex(otherSsl.measurement), hex(olderNode.measurement));
});

test('a runtime fact cannot smuggle a line into the manifest', () => {
  assert.throws(() => runtimeManifest({ node: 'v20.0.0\nabc  appliance/main.js' }), TypeError);
  assert.throws(() => runtimeManifest({ 'no de': 'v20' }), TypeError);
  assert.equal(runtimeManifest({ node: 'v20.1.0', arch: 'x64' }), 'runtime arch x64\nruntime node v20.1.0\n');
});

test('changing one byte of any measured file of the device code, or adding a file, changes the measurement', () => {
  const copy = mkdtempSync(join(tmpdir(), 'measure-'));
  try {
    for (const d of MEASURED_DIRS) cpSync(join(root, d), join(copy, d), { recursive: true });
    symlinkSync(join(root, '..', 'node_modules'), join(copy, 'node_modules'));
    const base = measureCode(copy);
    assert.deepEqual(base.measurement, measureCode(root).measurement, 'a faithful copy measures the same');
    const own = base.files.filter((f) => !f.path.startsWith('node_modules/'));
    for (const f of [own[0]!, own[Math.floor(own.length / 2)]!, own[own.length - 1]!]) {
      const p = join(copy, f.path);
      const original = readFileSync(p);
      const changed = Buffer.from(original);
      changed[0] = changed[0]! ^ 0x01;
      writeFileSync(p, changed);
      assert.notDeepEqual(measureCode(copy).measurement, base.measurement, `flipping a bit of ${f.path}`);
      writeFileSync(p, original);
    }
    assert.deepEqual(measureCode(copy).measurement, base.measurement);
    // Not only .js files: a package.json dropped into a device folder changes how Node reads it.
    writeFileSync(join(copy, 'appliance', 'package.json'), '{"type":"commonjs"}\n');
    assert.notDeepEqual(measureCode(copy).measurement, base.measurement, 'a file added to appliance/');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('changing a package file, adding one, or a native addon changes the measurement (in a copy of the tree)', () => {
  const tree = copyFirmwareTree(root, 'measure-pkg-');
  try {
    const dist = join(tree.root, 'dist');
    const base = measureCode(dist);
    assert.equal(hex(base.measurement), hex(measureCode(root).measurement), 'a copy holding only the measured packages measures the same');
    const cases: [string, string][] = [
      ['@peculiar/asn1-x509', 'package.json'],
      ['asn1js', 'build/index.js'],
      ['better-sqlite3', 'build/Release/better_sqlite3.node'],
      ['pkcs11js', 'build/Release/pkcs11.node'],
    ];
    for (const [name, inside] of cases) {
      const p = tree.packageFile(name, inside);
      const original = readFileSync(p);
      const changed = Buffer.from(original);
      changed[changed.length - 1] = changed[changed.length - 1]! ^ 0x01;
      writeFileSync(p, changed);
      assert.notEqual(hex(measureCode(dist).measurement), hex(base.measurement), `flipping a bit of ${name}/${inside}`);
      writeFileSync(p, original);
    }
    writeFileSync(tree.packageFile('@noble/hashes', 'extra.js'), 'export {};\n');
    assert.notEqual(hex(measureCode(dist).measurement), hex(base.measurement), 'an added file in a package');
  } finally {
    tree.remove();
  }
});
