// The ledger modules' settings made from the config: the requester's stamper signs with its P-256
// request key file (ES256, DER) and the admin's with its Ed25519 one, each verifiable with the public
// part; the admin's token file is read (trimmed) when asked; a missing file is a not_configured problem
// naming the field; the jobs' intervals pass through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../custody/config.js';
import { ledgerSettingsOf } from '../../custody/ledger-settings.js';
import { ProblemError } from '../../custody/problem.js';

test('stampers from the request key files, the admin token read when asked, a missing file named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custody-settings-'));
  try {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ed = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'req.pem'), ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'admin.pem'), ed.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'admin.token'), '  hsm_admin_xyz \n');
    const cfg = parseConfig(
      {
        bridge: { url: 'http://127.0.0.1:8080', requesterId: 'svc', requestKeyFile: 'req.pem', deviceId: 'dev-9', admin: { id: 'adm', tokenFile: 'admin.token', requestKeyFile: 'admin.pem' } },
        jobs: { sweepEveryMs: 120_000 },
      },
      dir,
    );
    const s = ledgerSettingsOf(cfg);
    assert.deepEqual(s.jobs, { depositsEveryMs: 4000, reconcileEveryMs: 300_000, sweepEveryMs: 120_000, withdrawalsEveryMs: 2000 });
    assert.equal(s.requester.id, 'svc');
    assert.equal(s.deviceId, 'dev-9');
    assert.equal(s.depositGroup, 'deposit');
    const statement = new TextEncoder().encode('a request statement');
    const es256 = await s.requester.stamp!(statement);
    assert.ok(verify('sha256', statement, { key: ec.publicKey, dsaEncoding: 'der' }, es256));
    assert.ok(!verify('sha256', new TextEncoder().encode('another'), { key: ec.publicKey, dsaEncoding: 'der' }, es256));
    const eddsa = await s.admin!.principal.stamp!(statement);
    assert.ok(verify(null, statement, ed.publicKey, eddsa));
    assert.equal(s.admin!.principal.id, 'adm');
    assert.equal(s.admin!.token(), 'hsm_admin_xyz');
    rmSync(join(dir, 'admin.token'));
    assert.throws(
      () => s.admin!.token(),
      (err: unknown) => err instanceof ProblemError && err.code === 'not_configured' && err.extra?.field === 'bridge.admin.tokenFile' && /ENOENT/.test(err.message),
    );
    const bare = ledgerSettingsOf(parseConfig({}, dir));
    assert.equal(bare.requester.stamp, undefined);
    assert.equal(bare.admin, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
