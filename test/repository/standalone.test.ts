// A fresh clone stands alone: no test, benchmark or reliability tool reads outside the repository
// (the external vectors are copied into test/vectors with their licences), and the lock file is
// complete enough for `npm ci`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, vectorsDir } from '../helpers/vectors.js';

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'var' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('vectors are inside the repository, each source folder with its licence file', () => {
  assert.ok(vectorsDir.startsWith(repoRoot + '/'), vectorsDir);
  assert.ok(existsSync(join(vectorsDir, 'README.md')));
  for (const dir of readdirSync(vectorsDir).filter((d) => statSync(join(vectorsDir, d)).isDirectory())) {
    const files = readdirSync(join(vectorsDir, dir));
    assert.ok(
      files.some((f) => /^LICEN[CS]E/i.test(f)),
      `${dir} has no licence file`,
    );
  }
});

// The folder beside a developer's checkout that a user's clone does not have, spelled in pieces so
// this file does not name it itself.
const BESIDE = '..' + '/' + 'shared';

test('no source file reaches for the folder beside the clone', () => {
  const spellings = [BESIDE, ["'..'", "'shared'"].join(', ')];
  const offenders = sources(repoRoot).filter((p) => {
    const text = readFileSync(p, 'utf8');
    return spellings.some((s) => text.includes(s));
  });
  assert.deepEqual(offenders, []);
});

test('the lock lists the optional packages of every platform (npm ci accepts it anywhere)', () => {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'node_modules', '@foundry-rs', 'anvil', 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> };
  const optional = Object.keys(pkg.optionalDependencies ?? {});
  assert.ok(optional.length > 0);
  for (const name of optional) assert.ok(`node_modules/${name}` in lock.packages, `${name} missing from the lock`);
  assert.ok(!('node_modules/cbor-x' in lock.packages), 'cbor-x is gone');
});
