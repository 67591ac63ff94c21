// The packages the firmware measurement covers: bare specifiers found in built code, the dependency
// closure found where Node's resolver looks, and package files measured without being opened when
// they are not regular files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importedPackageNames, packageClosure, packageFiles } from '../../attestation/measured-packages.js';

test('bare specifiers of static, side-effect and dynamic imports and require are found; relative paths, built-ins and method calls are not', () => {
  const src = [
    "import { secp256k1 } from '@noble/curves/secp256k1.js';",
    'import Database from "better-sqlite3";',
    "export * from '@peculiar/asn1-x509';",
    "import 'side-effect-pkg';",
    "const m = await import('dynamic-pkg/sub');",
    "const b = require('bindings')('x');",
    "import { readFileSync } from 'node:fs';",
    "import { join } from 'path';",
    "import { x } from './local.js';",
    "import { y } from '../up/other.js';",
    "this.seal.require('keys', row);",
    "Buffer.from('abc');",
  ].join('\n');
  assert.deepEqual(importedPackageNames(src).sort(), ['@noble/curves', '@peculiar/asn1-x509', 'better-sqlite3', 'bindings', 'dynamic-pkg', 'side-effect-pkg']);
});

test('the closure follows declared dependencies where Node finds them, nested copies first, and skips what is not installed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'closure-'));
  try {
    const pkg = (at: string, name: string, version: string, deps: Record<string, string> = {}) => {
      mkdirSync(at, { recursive: true });
      writeFileSync(join(at, 'package.json'), JSON.stringify({ name, version, dependencies: deps }));
      writeFileSync(join(at, 'index.js'), 'module.exports = 1;\n');
    };
    const nm = join(dir, 'node_modules');
    pkg(join(nm, 'a'), 'a', '1.0.0', { b: '^1', c: '^2', absent: '^1', buffer: '^6' });
    pkg(join(nm, 'b'), 'b', '1.0.0', { c: '^1' });
    pkg(join(nm, 'c'), 'c', '2.0.0');
    pkg(join(nm, 'b', 'node_modules', 'c'), 'c', '1.0.0');
    pkg(join(nm, 'unrelated'), 'unrelated', '1.0.0');
    mkdirSync(join(dir, 'code'));
    const found = packageClosure([{ name: 'a', fromDir: join(dir, 'code') }])
      .map((p) => `${p.name}@${p.version}`)
      .sort();
    assert.deepEqual(found, ['a@1.0.0', 'b@1.0.0', 'c@1.0.0', 'c@2.0.0']);
    const b = packageClosure([{ name: 'b', fromDir: join(dir, 'code') }]).find((p) => p.name === 'b')!;
    assert.deepEqual(
      packageFiles(b).map((f) => f.path),
      ['node_modules/b@1.0.0/index.js', 'node_modules/b@1.0.0/package.json'],
      'nested node_modules/ are packages of their own',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a FIFO or a dangling link in a package is measured by what it is, never opened (the boot cannot stall on it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'special-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{"name":"p","version":"1.0.0"}');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    const files = packageFiles({ name: 'p', version: '1.0.0', dir });
    assert.deepEqual(
      files.map((f) => f.path),
      ['node_modules/p@1.0.0/dangling', 'node_modules/p@1.0.0/package.json', 'node_modules/p@1.0.0/pipe'],
    );
    for (const f of files) assert.match(f.sha256, /^[0-9a-f]{64}$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
