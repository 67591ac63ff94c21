// The command catalogue (protocol/commands/index.ts) holds together: every command has its own
// catalogue module and its own handler file named after it (dots become dashes), names are unique,
// every error code it lists is a known one, and every typed command refuses an unknown argument.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE_LIST } from '../../../protocol/commands/index.js';
import { HANDLERS } from '../../../appliance/commands/index.js';
import { ApplianceError, ERROR_CODES } from '../../../protocol/errors.js';
import type { CborMap } from '../../../protocol/cbor.js';
import { repoRoot } from '../../helpers/vectors.js';

const fileOf = (name: string) => name.replace(/\./g, '-');

/** The compiled module next to this test's compiled tree (dist/), by its path from the repository root. */
const compiled = (path: string) => import(new URL(`../../../${path}.js`, import.meta.url).href) as Promise<Record<string, unknown>>;

test('command names are unique', () => {
  const names = CATALOGUE_LIST.map((s) => s.name);
  assert.deepEqual(
    names.filter((n, i) => names.indexOf(n) !== i),
    [],
  );
  assert.ok(names.length > 0);
});

test('every command is declared in protocol/commands/<name>.ts', async () => {
  for (const spec of CATALOGUE_LIST) {
    const path = join('protocol', 'commands', fileOf(spec.name));
    assert.ok(existsSync(join(repoRoot, `${path}.ts`)), `${spec.name}: no ${path}.ts`);
    const exported = Object.values(await compiled(path));
    assert.ok(exported.includes(spec), `${spec.name}: the catalogue entry is not the one ${path}.ts exports`);
  }
});

test('every command has its handler in appliance/commands/<name>.ts', async () => {
  for (const spec of CATALOGUE_LIST) {
    const path = join('appliance', 'commands', fileOf(spec.name));
    assert.ok(existsSync(join(repoRoot, `${path}.ts`)), `${spec.name}: no ${path}.ts`);
    const exported = Object.values(await compiled(path));
    assert.ok(exported.includes(HANDLERS[spec.name]), `${spec.name}: the registered handler is not the one ${path}.ts exports`);
  }
});

test('every listed error code is a known one, listed once', () => {
  for (const spec of CATALOGUE_LIST) {
    for (const code of spec.errors) assert.ok((ERROR_CODES as readonly string[]).includes(code), `${spec.name}: unknown code "${code}"`);
    assert.equal(new Set(spec.errors).size, spec.errors.length, `${spec.name}: a code listed twice`);
  }
});

/** A placeholder module (arguments not yet typed) hands the checked map it is given straight through. */
function isTyped(parse: (m: CborMap) => unknown): boolean {
  const probe: CborMap = {};
  try {
    return parse(probe) !== probe;
  } catch {
    return true; // a typed parser refusing an empty map (a field is required)
  }
}

test('every typed command refuses an unknown argument with bad_request', () => {
  const typed = CATALOGUE_LIST.filter((s) => isTyped(s.parseArgs));
  assert.ok(typed.length >= 14, `only ${typed.length} typed commands`);
  for (const spec of typed) {
    assert.throws(
      () => spec.parseArgs({ notAnArgument: 1 }),
      (err: unknown) => err instanceof ApplianceError && err.code === 'bad_request' && err.message === '"args" has an unknown field "notAnArgument"',
      `${spec.name} took an unknown field`,
    );
  }
});
