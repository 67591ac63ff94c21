// Ceremony secrets never land in a source checkout (cli/ceremony/output-location.ts): a path inside a
// folder with a .git entry, or with this product's package.json, is refused, also for files and
// folders not made yet; a path outside any is accepted. `hsmctl approver keygen` refuses to write a
// private key there and leaves nothing behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplianceError } from '../../../protocol/errors.js';
import { secretOutputPath } from '../../../cli/ceremony/output-location.js';
import { PRODUCT_NAME, repositoryRootOf } from '../../../cli/repository-root.js';
import { repoRoot } from '../../helpers/vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'ceremony-out-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const gitRepo = join(dir, 'checkout');
mkdirSync(join(gitRepo, '.git'), { recursive: true });
const productCopy = join(dir, 'unpacked');
mkdirSync(productCopy);
writeFileSync(join(productCopy, 'package.json'), JSON.stringify({ name: PRODUCT_NAME, version: '0.0.0' }));
const refused = (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request' && /inside the repository/.test(e.message);

test('inside a git checkout or the product folder is refused, even for paths not made yet; outside is accepted', () => {
  assert.equal(repositoryRootOf(join(gitRepo, 'a', 'b')), gitRepo);
  assert.throws(() => secretOutputPath(join(gitRepo, 'shares', 'new', 'dir'), '--out'), refused);
  assert.throws(() => secretOutputPath(join(productCopy, 'so.pin'), '--so-pin-out'), refused);
  assert.throws(() => secretOutputPath(join(repoRoot, 'var', 'prod'), '--var'), refused);
  const outside = join(dir, 'media', 'so.pin');
  assert.equal(secretOutputPath(outside, '--so-pin-out'), outside);
});

test('hsmctl approver keygen refuses a key file inside a checkout and writes nothing', () => {
  const hsmctl = join(repoRoot, 'dist', 'cli', 'hsmctl.js');
  const r = spawnSync(process.execPath, [hsmctl, 'approver', 'keygen', '--id', 'admin-1', '--out', 'admin-1.key.json'], { cwd: gitRepo, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--out \(a private key file\) .*admin-1\.key\.json is inside the repository/);
  assert.equal(existsSync(join(gitRepo, 'admin-1.key.json')), false);
  const ok = spawnSync(process.execPath, [hsmctl, 'approver', 'keygen', '--id', 'admin-1', '--out', 'admin-1.key.json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(existsSync(join(dir, 'admin-1.key.json')), true);
});
