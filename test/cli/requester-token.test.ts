// A requester's request key in its own SoftHSM2 token (cli/requester-token.ts): `hsmctl requester
// init` makes the token with its PINs in 0600 files and prints only the policy entry; the key is
// sensitive and never extractable; a statement the token signs verifies, as the firmware checks a
// stamp, with the public key printed, and no other statement does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyApprovalSignature } from '../../firmware-policy/approvals/verify-signature.js';
import { encodeRequestStatement } from '../../firmware-policy/request-stamp.js';
import { readRequesterConfig, requesterKeyProtection, requesterPaths, stampWithToken } from '../../cli/requester-token.js';
import { repoRoot } from '../helpers/vectors.js';

const HSMCTL = join(repoRoot, 'dist', 'cli', 'hsmctl.js');
const hsmctl = (varRoot: string, ...args: string[]) => spawnSync(process.execPath, [HSMCTL, ...args, '--var', varRoot], { encoding: 'utf8' });
const fromHex = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

test('hsmctl requester init: own token, 0600 PINs, a non-extractable key whose statements verify with the printed key', async () => {
  const varRoot = mkdtempSync(join(tmpdir(), 'requester-'));
  try {
    const init = hsmctl(varRoot, 'requester', 'init', '--name', 'orchestrator');
    assert.equal(init.status, 0, init.stderr);
    const entry = JSON.parse(init.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(entry).sort(), ['alg', 'id', 'publicKey']);
    assert.equal(entry.id, 'orchestrator');
    assert.equal(entry.alg, 'ES256');
    assert.match(String(entry.publicKey), /^0x04[0-9a-f]{128}$/);

    const paths = requesterPaths(varRoot, 'orchestrator');
    for (const f of [paths.userPinFile, paths.soPinFile, paths.softhsmConf]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    assert.equal(statSync(paths.secretsDir).mode & 0o777, 0o700);
    assert.equal(statSync(paths.dir).mode & 0o777, 0o700);
    assert.match(readFileSync(paths.softhsmConf, 'utf8'), new RegExp(`directories.tokendir = ${paths.tokenDir}`));
    for (const f of [paths.userPinFile, paths.soPinFile]) {
      const secret = readFileSync(f, 'utf8').trim();
      assert.ok(secret.length >= 20);
      assert.ok(!init.stdout.includes(secret) && !init.stderr.includes(secret), 'a PIN was printed');
      assert.ok(!readFileSync(paths.requesterJson, 'utf8').includes(secret), 'a PIN is in requester.json');
    }
    assert.equal(readRequesterConfig(varRoot, 'orchestrator').publicKey, entry.publicKey);

    const protection = await requesterKeyProtection(varRoot, 'orchestrator');
    assert.deepEqual(
      { extractable: protection.extractable, sensitive: protection.sensitive, neverExtractable: protection.neverExtractable, alwaysSensitive: protection.alwaysSensitive, token: protection.token },
      { extractable: false, sensitive: true, neverExtractable: true, alwaysSensitive: true, token: true },
    );

    const statement = encodeRequestStatement({
      deviceId: 'hsm-0123456789abcdef',
      command: 'sign.evm-tx',
      requester: 'orchestrator',
      requestId: 'r-1',
      argsDigest: new Uint8Array(32).fill(7),
      expiresAt: 1_800_000_000,
    });
    const signature = await stampWithToken(varRoot, 'orchestrator', statement);
    assert.equal(signature[0], 0x30, 'DER');
    assert.equal(verifyApprovalSignature('ES256', fromHex(String(entry.publicKey)), statement, signature), true);
    const other = encodeRequestStatement({
      deviceId: 'hsm-0123456789abcdef',
      command: 'sign.evm-tx',
      requester: 'orchestrator',
      requestId: 'r-2',
      argsDigest: new Uint8Array(32).fill(7),
      expiresAt: 1_800_000_000,
    });
    assert.equal(verifyApprovalSignature('ES256', fromHex(String(entry.publicKey)), other, signature), false);

    const show = hsmctl(varRoot, 'requester', 'show', '--name', 'orchestrator');
    assert.equal(show.status, 0, show.stderr);
    const shown = JSON.parse(show.stdout) as { publicKey: string; protection: { extractable: boolean } };
    assert.equal(shown.publicKey, entry.publicKey);
    assert.equal(shown.protection.extractable, false);

    const again = hsmctl(varRoot, 'requester', 'init', '--name', 'orchestrator');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /conflict: requester "orchestrator" already exists/);
    const missing = hsmctl(varRoot, 'requester', 'show', '--name', 'nobody');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /not_found: no requester "nobody"/);
  } finally {
    rmSync(varRoot, { recursive: true, force: true });
  }
});
