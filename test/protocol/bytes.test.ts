// The one byte-equality helper (protocol/bytes.ts), and that no module writes its own again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { equalBytes } from '../../protocol/bytes.js';
import { repoRoot } from '../helpers/vectors.js';

test('equalBytes: same length and every byte', () => {
  assert.equal(equalBytes(Uint8Array.of(), Uint8Array.of()), true);
  assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true);
  assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false);
  assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0)), false);
});

test('no product module defines its own byte equality', () => {
  const copy = /\(a: Uint8Array, b: Uint8Array\)(: boolean)? (=>|\{)[^\n]*(a\.every|a\.length !== b\.length)|\(x: Uint8Array, y: Uint8Array\): boolean \{\n\s*return x\.length === y\.length/;
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && p !== join(repoRoot, 'protocol', 'bytes.ts') && copy.test(readFileSync(p, 'utf8'))) offenders.push(p.slice(repoRoot.length + 1));
    }
  };
  for (const d of ['protocol', 'firmware-policy', 'appliance', 'attestation', 'host-bridge', 'cli', 'softhsm-config']) walk(join(repoRoot, d));
  assert.deepEqual(offenders, []);
});
