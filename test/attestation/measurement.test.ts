// Firmware measurement: the build writes the expected value; one changed byte of the measured code
// changes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureCode, runningCodeRoot, MEASURED_DIRS } from '../../attestation/measurement.js';

const root = runningCodeRoot();

test('the running code measures to the value the build wrote', () => {
  const expected = JSON.parse(readFileSync(join(root, 'MEASUREMENT.json'), 'utf8')) as { measurement: string; files: { path: string }[] };
  const m = measureCode(root);
  assert.equal(Buffer.from(m.measurement).toString('hex'), expected.measurement);
  for (const d of MEASURED_DIRS) assert.ok(m.files.some((f) => f.path.startsWith(`${d}/`)), `${d}/ is measured`);
  assert.ok(!m.files.some((f) => f.path.startsWith('host-bridge/')), 'the bridge is outside the device');
});

test('changing one byte of any measured file changes the measurement', () => {
  const copy = mkdtempSync(join(tmpdir(), 'measure-'));
  try {
    for (const d of MEASURED_DIRS) cpSync(join(root, d), join(copy, d), { recursive: true });
    const base = measureCode(copy);
    assert.deepEqual(base.measurement, measureCode(root).measurement, 'a faithful copy measures the same');
    for (const f of [base.files[0]!, base.files[Math.floor(base.files.length / 2)]!, base.files[base.files.length - 1]!]) {
      const p = join(copy, f.path);
      const original = readFileSync(p);
      const changed = Buffer.from(original);
      changed[0] = changed[0]! ^ 0x01;
      writeFileSync(p, changed);
      assert.notDeepEqual(measureCode(copy).measurement, base.measurement, `flipping a bit of ${f.path}`);
      writeFileSync(p, original);
    }
    assert.deepEqual(measureCode(copy).measurement, base.measurement);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
