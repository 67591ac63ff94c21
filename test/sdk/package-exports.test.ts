// The SDK is importable by the package's name, as an integrator's code imports it from an installed
// copy: `hsm-signer-appliance/sdk` resolves through package.json "exports" (here by the package's
// self-reference, the same resolution) to the built sdk/index.js, with its type declarations beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/vectors.js';
import * as local from '../../sdk/index.js';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { types: string; default: string }> };

test('`<package>/sdk` resolves through "exports" to the built SDK, the very module the tests import', async () => {
  const specifier = `${pkg.name}/sdk`; // a variable: resolved by Node at run time, as from an installed copy
  const sdk = (await import(specifier)) as typeof local;
  assert.equal(sdk.applianceAccount, local.applianceAccount);
  assert.equal(sdk.ApplianceSigner, local.ApplianceSigner);
  assert.equal(sdk.BridgeClient, local.BridgeClient);
  assert.equal(sdk.ApplianceDenied, local.ApplianceDenied);
  assert.equal(sdk.ApprovalTimeout, local.ApprovalTimeout);
  assert.equal(sdk.BlindMessageRefused, local.BlindMessageRefused);
});

test('the "exports" entry names type declarations that the build wrote, and nothing else of the package is exported', async () => {
  const entry = pkg.exports['./sdk']!;
  assert.ok(existsSync(join(repoRoot, entry.types)), `${entry.types} exists (tsconfig.sdk.json)`);
  assert.ok(existsSync(join(repoRoot, entry.default)));
  assert.match(readFileSync(join(repoRoot, entry.types), 'utf8'), /applianceAccount/);
  const inside = `${pkg.name}/dist/appliance/main.js`;
  await assert.rejects(import(inside), (err: NodeJS.ErrnoException) => err.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED');
});
