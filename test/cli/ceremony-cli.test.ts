// The ceremony as an operator types it: every step through the real `hsmctl` process (keys made by
// `approver keygen`, plan, offline admin signatures, init, keygen, backup, restore) on a real SoftHSM2
// token, and nothing secret on the command line or in the output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/vectors.js';

const HSMCTL = join(repoRoot, 'dist', 'cli', 'hsmctl.js');

function hsmctl(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [HSMCTL, ...args], { cwd, encoding: 'utf8', env: { ...process.env, HSM_VAR: join(cwd, 'var') } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('hsmctl ceremony: plan, sign, init, keygen, backup and restore from the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ceremony-cli-'));
  try {
    for (const [id, alg] of [
      ['admin-1', 'ES256'],
      ['admin-2', 'EdDSA'],
      ['admin-3', 'ES256'],
    ] as const) {
      const k = hsmctl(dir, 'approver', 'keygen', '--id', id, '--alg', alg, '--out', `${id}.key.json`);
      assert.equal(k.status, 0, k.stderr);
      writeFileSync(join(dir, `${id}.pub.json`), k.stdout);
    }
    // The requester's request key, from its own token, goes into the policy: a new device requires signed requests.
    // (made on the requester's own host: another --var than the device's)
    const requester = hsmctl(dir, 'requester', 'init', '--name', 'orchestrator', '--var', join(dir, 'orchestrator-host'));
    assert.equal(requester.status, 0, requester.stderr);
    const policy = (requireSignedRequests: boolean, requesters: unknown[]) =>
      JSON.stringify({
        adminQuorum: 2,
        admins: [],
        approvers: [],
        requesters,
        groups: {
          hot: {
            chains: [31337],
            whitelistRequired: true,
            ...(requireSignedRequests ? { requireSignedRequests } : {}),
            holdSeconds: 0,
            assets: { '31337:native': { perTxMax: '1000', windows: [], approvalTiers: [] } },
          },
        },
      });
    writeFileSync(join(dir, 'policy.json'), policy(true, [{ ...JSON.parse(requester.stdout), groups: ['hot'] }]));
    writeFileSync(join(dir, 'unsigned.json'), policy(false, [{ id: 'orchestrator' }]));
    writeFileSync(join(dir, 'keyless.json'), policy(true, [{ id: 'orchestrator' }]));
    const planOf = (file: string, out: string, ...extra: string[]) =>
      hsmctl(dir, 'ceremony', 'plan', '--device', 'prod', '--policy', file, '--admin', 'admin-1.pub.json', '--admin', 'admin-2.pub.json', ...extra, '--out', out);
    const unsigned = planOf('unsigned.json', 'plan-u.json');
    assert.equal(unsigned.status, 1, 'a group taking unsigned requests is refused at planning');
    assert.match(unsigned.stderr, /key group\(s\) hot take unsigned requests/);
    const keyless = planOf('keyless.json', 'plan-k.json');
    assert.equal(keyless.status, 1, 'a requester without a request key is refused at planning');
    assert.match(keyless.stderr, /requester\(s\) orchestrator have no request key/);
    assert.equal(planOf('unsigned.json', 'plan-u.json', '--allow-unsigned-requests').status, 0, 'unless the plan says so explicitly');
    const plan = hsmctl(
      dir,
      'ceremony',
      'plan',
      '--device',
      'prod',
      '--policy',
      'policy.json',
      '--admin',
      'admin-1.pub.json',
      '--admin',
      'admin-2.pub.json',
      '--admin',
      'admin-3.pub.json',
      '--out',
      'plan.json',
    );
    assert.equal(plan.status, 0, plan.stderr);
    assert.equal(
      hsmctl(dir, 'ceremony', 'plan', '--device', 'prod', '--policy', 'policy.json', '--admin', 'admin-1.key.json', '--out', 'plan2.json').status,
      1,
      'a private key file is refused as a public one',
    );
    const tooLong = hsmctl(
      dir,
      'ceremony',
      'plan',
      '--device',
      'prod',
      '--policy',
      'policy.json',
      '--admin',
      'admin-1.pub.json',
      '--admin',
      'admin-2.pub.json',
      '--valid-hours',
      '25',
      '--out',
      'plan3.json',
    );
    assert.equal(tooLong.status, 1, 'signatures valid longer than the policy counts approvals (24 h default) are refused at planning');
    assert.match(tooLong.stderr, /maxApprovalLifetimeSeconds/);
    for (const id of ['admin-1', 'admin-2']) assert.equal(hsmctl(dir, 'ceremony', 'sign', '--plan', 'plan.json', '--key', `${id}.key.json`, '--out', `${id}.sig.json`).status, 0);

    const lone = hsmctl(dir, 'ceremony', 'init', '--plan', 'plan.json', '--signature', 'admin-1.sig.json', '--operator', 'olga', '--witness', 'wanda', '--so-pin-out', 'so.pin');
    assert.equal(lone.status, 1);
    assert.match(lone.stderr, /denied: the first policy needs 2 admin signatures; 1 counted/);
    assert.deepEqual(readdirSync(join(dir, 'var')).sort(), ['manufacturer'], 'a refused init leaves no device');

    assert.equal(
      hsmctl(dir, 'ceremony', 'init', '--plan', 'plan.json', '--signature', 'admin-1.sig.json', '--signature', 'admin-2.sig.json', '--operator', 'olga', '--witness', 'wanda').status,
      1,
      'init needs --so-pin-out',
    );
    const init = hsmctl(
      dir,
      'ceremony',
      'init',
      '--plan',
      'plan.json',
      '--signature',
      'admin-1.sig.json',
      '--signature',
      'admin-2.sig.json',
      '--operator',
      'olga',
      '--witness',
      'wanda',
      '--so-pin-out',
      'so.pin',
      '--out',
      'transcript',
    );
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stderr, /1\/4 initialising the token/);
    assert.equal(existsSync(join(dir, 'var', 'prod', 'secrets', 'so.pin')), false, 'the SO PIN left the device host');
    const pins = [readFileSync(join(dir, 'var', 'prod', 'secrets', 'user.pin'), 'utf8').trim(), readFileSync(join(dir, 'so.pin'), 'utf8').trim()];
    const verify = hsmctl(dir, 'audit', 'verify', 'transcript/transcript.cbor', '--device-cert', 'transcript/device-cert.pem', '--ca', 'var/manufacturer/ca-cert.pem');
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal((JSON.parse(verify.stdout) as { entries: number }).entries, 1);

    const keygen = hsmctl(dir, 'ceremony', 'keygen', '--device', 'prod', '--group', 'hot', '--label', 'hot', '--count', '3');
    assert.equal(keygen.status, 0, keygen.stderr);
    assert.match(keygen.stderr, /key 3\/3 generated/);
    const keys = JSON.parse(keygen.stdout) as { address: string }[];
    assert.equal(keys.length, 3);

    const noPin = hsmctl(dir, 'ceremony', 'backup', '--device', 'prod', '--threshold', '2', '--shares', '3', '--custodian', 'carol,dave,erin', '--witness', 'wanda', '--out', 'bk');
    assert.equal(noPin.status, 1);
    assert.match(noPin.stderr, /--so-pin-file FILE or --so-pin-prompt/);
    const backup = hsmctl(
      dir,
      'ceremony',
      'backup',
      '--device',
      'prod',
      '--threshold',
      '2',
      '--shares',
      '3',
      '--custodian',
      'carol,dave,erin',
      '--witness',
      'wanda',
      '--out',
      'bk',
      '--so-pin-file',
      'so.pin',
    );
    assert.equal(backup.status, 0, backup.stderr);
    const { backupFile, shareFiles } = JSON.parse(backup.stdout) as { backupFile: string; shareFiles: string[] };
    rmSync(join(dir, 'var', 'prod'), { recursive: true });
    for (const id of ['admin-2', 'admin-3']) assert.equal(hsmctl(dir, 'ceremony', 'sign', '--backup', backupFile, '--key', `${id}.key.json`, '--out', `${id}.restore.json`).status, 0);
    const restore = hsmctl(
      dir,
      'ceremony',
      'restore',
      '--device',
      'prod',
      '--backup',
      backupFile,
      '--share',
      shareFiles[2]!,
      '--share',
      shareFiles[0]!,
      '--approval',
      'admin-2.restore.json',
      '--approval',
      'admin-3.restore.json',
      '--witness',
      'wanda',
      '--so-pin-out',
      'restored-so.pin',
    );
    assert.equal(restore.status, 0, restore.stderr);
    assert.deepEqual((JSON.parse(restore.stdout) as { keys: { address: string }[] }).keys.map((k) => k.address).sort(), keys.map((k) => k.address).sort(), 'every key keeps its address');

    for (const out of [plan, init, keygen, backup, restore]) for (const pin of pins) assert.ok(!(out.stdout + out.stderr).includes(pin), 'no PIN in any output');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
