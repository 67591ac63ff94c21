// The running bridge's tokens: the file is read again when it changes, so a token added, revoked or
// rotated is seen at the next check; a file that cannot be parsed refuses every token until it is
// fixed (a broken edit must not leave a revoked token working) and is said once on the log; the file
// keeps its mode across rewrites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addToken, listTokens, revokeToken, rotateToken } from '../../host-bridge/auth.js';
import { TokenFileVerifier } from '../../host-bridge/token-file-verifier.js';
import { ApplianceError } from '../../protocol/errors.js';

const unauthorized = (e: unknown) => e instanceof ApplianceError && e.code === 'unauthorized';

test('add, rotate and revoke are seen at the next check; a broken file refuses every token until fixed', () => {
  const folder = mkdtempSync(join(tmpdir(), 'tokfile-'));
  const file = join(folder, 'tokens.json');
  const logs: string[] = [];
  const v = new TokenFileVerifier(file, (l) => logs.push(l));
  const a = addToken(file, 'a', ['auditor'], 'aud-1');
  assert.equal(v.verify(`Bearer ${a}`).id, 'aud-1');
  const b = addToken(file, 'b', ['orchestrator'], 'orch-1');
  assert.equal(v.verify(`Bearer ${b}`).name, 'b');

  const a2 = rotateToken(file, 'a');
  assert.throws(() => v.verify(`Bearer ${a}`), unauthorized);
  assert.deepEqual(v.verify(`Bearer ${a2}`), { name: 'a', id: 'aud-1', scopes: ['auditor'] });

  revokeToken(file, 'b');
  assert.throws(() => v.verify(`Bearer ${b}`), unauthorized);
  assert.throws(
    () => revokeToken(file, 'b'),
    (e: unknown) => e instanceof ApplianceError && e.code === 'not_found',
  );
  assert.deepEqual(
    listTokens(file).map((t) => t.name),
    ['a'],
  );

  const good = JSON.stringify({ tokens: [] });
  writeFileSync(file, '{"tokens": [ broken');
  assert.throws(() => v.verify(`Bearer ${a2}`), unauthorized);
  assert.throws(() => v.verify(`Bearer ${a2}`), unauthorized);
  assert.equal(logs.filter((l) => /cannot be read/.test(l)).length, 1, 'said once');
  writeFileSync(file, good);
  assert.throws(() => v.verify(`Bearer ${a2}`), unauthorized, 'fixed, but without the token');
  assert.equal(logs.filter((l) => /reads again/.test(l)).length, 1);
  const c = addToken(file, 'c', ['auditor'], 'aud-1');
  assert.equal(v.verify(`Bearer ${c}`).name, 'c');
});

test('a rewrite keeps the file mode and leaves no temporary file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'tokfile-'));
  const file = join(folder, 'tokens.json');
  addToken(file, 'a', ['auditor'], 'aud-1');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  chmodSync(file, 0o640);
  rotateToken(file, 'a');
  addToken(file, 'b', ['auditor'], 'aud-1');
  revokeToken(file, 'a');
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.deepEqual(readdirSync(folder), ['tokens.json']);
});
