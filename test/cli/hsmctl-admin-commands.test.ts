// hsmctl's admin commands against a real device and a real bridge on a port (issue 19 item 2): `token
// add|list|revoke|rotate` on the bridge's tokens file, taking effect on the running bridge at its next
// request (a revoked token and a rotated-away secret get 401, the new secret works, list shows no hash
// or secret, an unknown name is not_found); `policy show` over the bridge; `policy diff` of a pending
// proposal and of two local files naming the changed limit; `policy cancel` making the proposal
// cancelled and refusing one that is no longer pending; `sign evm` documented, `sign tx` kept (the
// end-to-end signing through it is test/e2e/hsmctl-sign-tx.test.ts).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge, type RunningBridge } from '../../host-bridge/main.js';
import { writeApproverKey } from '../../cli/approver-key.js';
import { runHsmctl } from '../helpers/hsmctl-process.js';
import { repoRoot } from '../helpers/vectors.js';
import { ETH, startTestDevice, testPolicyJson, type TestDevice } from '../helpers/test-device.js';

let dev: TestDevice;
let bridge: RunningBridge;
let dir: string;
let baseEnv: Record<string, string>;

const hsmctl = (args: string[], env: Record<string, string> = {}) => runHsmctl(args, dir, { ...baseEnv, ...env });

const json = (s: string) => JSON.parse(s) as Record<string, unknown>;
const keyFile = (id: string) => join(dir, `${id}.key.json`);

/** GET /v1/policy on the running bridge with `token`: its HTTP status. */
async function policyStatus(token: string): Promise<number> {
  const res = await fetch(`${bridge.url}/v1/policy`, { headers: { Authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

describe('hsmctl admin commands against a running device and bridge', { concurrency: true }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hsmctl-admin-'));
    baseEnv = { HOME: dir, HSM_VAR: join(dir, 'var') };
    dev = await startTestDevice();
    bridge = await startBridge({ socketPath: dev.paths.socket, tokensFile: dev.paths.bridgeTokens, host: '127.0.0.1', port: 0 });
    for (const k of dev.people.admins) writeApproverKey(keyFile(k.id), k);
  });
  after(async () => {
    await bridge?.close();
    await dev?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('token add, list, rotate and revoke take effect on the running bridge at its next request', async () => {
    const file = ['--tokens', dev.paths.bridgeTokens];
    const added = await hsmctl(['token', 'add', '--name', 'night-auditor', '--principal', 'auditor', '--scopes', 'auditor', ...file]);
    assert.equal(added.code, 0, added.stderr);
    const first = added.stdout.trim();
    assert.match(first, /^hsm_/);
    assert.equal(await policyStatus(first), 200, 'a token added while the bridge runs works without a restart');

    const listed = await hsmctl(['token', 'list', ...file]);
    assert.equal(listed.code, 0, listed.stderr);
    const tokens = json(listed.stdout).tokens as { name: string; scopes: string[]; principal: string; createdAt: number }[];
    const mine = tokens.find((t) => t.name === 'night-auditor');
    assert.deepEqual({ scopes: mine?.scopes, principal: mine?.principal }, { scopes: ['auditor'], principal: 'auditor' });
    assert.ok(Number.isSafeInteger(mine?.createdAt) && mine!.createdAt > 1_700_000_000, 'created time in unix seconds');
    assert.ok(
      tokens.some((t) => t.name === 'ops-admin'),
      'the other tokens are listed too',
    );
    assert.doesNotMatch(listed.stdout, /sha256|hsm_|[0-9a-f]{64}/, 'no hash and no secret');

    const rotated = await hsmctl(['token', 'rotate', 'night-auditor', ...file]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const second = rotated.stdout.trim();
    assert.match(second, /^hsm_/);
    assert.notEqual(second, first);
    assert.equal(await policyStatus(first), 401, 'the old secret stops working');
    assert.equal(await policyStatus(second), 200, 'the new secret works, same scopes and principal');
    const revoked = await hsmctl(['token', 'revoke', 'night-auditor', ...file]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((json(revoked.stdout).revoked as { name: string }).name, 'night-auditor');
    assert.equal(await policyStatus(second), 401, 'a revoked token is refused');
    assert.equal(await policyStatus(dev.tokens.auditor), 200, 'the other tokens still work');

    const unknown = await hsmctl(['token', 'revoke', 'night-auditor', ...file]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not_found: no token named "night-auditor"/);
  });

  test('policy show reads the active policy over the bridge; diff names the changed limit; cancel makes the proposal cancelled', async () => {
    const auditor = { HSM: bridge.url, HSM_TOKEN: dev.tokens.auditor };
    const admin = { HSM: bridge.url, HSM_TOKEN: dev.tokens.admin };
    const shown = await hsmctl(['policy', 'show'], auditor);
    assert.equal(shown.code, 0, shown.stderr);
    const active = json(shown.stdout);
    assert.equal(active.version, 1);
    assert.equal((active.document as { deviceId: string }).deviceId, dev.deviceId);
    const refused = await hsmctl(['policy', 'show'], { HSM: bridge.url, HSM_TOKEN: dev.tokens.orchestrator });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`GET ${bridge.url.replace(/\./g, '\\.')}/v1/policy answered HTTP 403`));

    // The next policy: 20 ETH per transaction instead of 10 (it loosens, so it waits the time lock).
    const current = testPolicyJson(dev.people);
    const next = structuredClone(current);
    next.groups.hot!.assets[`31337:native`]!.perTxMax = (20n * ETH).toString();
    writeFileSync(join(dir, 'current.json'), JSON.stringify(current));
    writeFileSync(join(dir, 'next.json'), JSON.stringify(next));
    const changed = '~ groups.hot.assets.31337:native.perTxMax: 10000000000000000000 -> 20000000000000000000';

    const [proposed, local] = await Promise.all([hsmctl(['policy', 'propose', '--file', 'next.json'], admin), hsmctl(['policy', 'diff', '--from', 'current.json', '--to', 'next.json'])]);
    assert.equal(local.code, 0, local.stderr);
    assert.equal(local.stdout.split('\n')[0], 'current.json -> next.json: 1 change');
    assert.ok(local.stdout.includes(changed), local.stdout);
    assert.match(local.stdout, /\[looser/);
    assert.equal(proposed.code, 0, proposed.stderr);
    const pid = String(json(proposed.stdout).proposalId);

    const [diff, diffJson] = await Promise.all([hsmctl(['policy', 'diff', pid], { HSM: bridge.url, HSM_TOKEN: dev.tokens.approver }), hsmctl(['policy', 'diff', pid, '--json'], auditor)]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, new RegExp(`^proposal ${pid} \\(version 2, pending, loosens: the time lock applies\\) against the active policy: 1 change$`, 'm'));
    assert.ok(diff.stdout.includes(changed), diff.stdout);
    assert.equal(diffJson.code, 0, diffJson.stderr);
    const rows = json(diffJson.stdout).changes as { path: string; before: string; after: string; stricter: boolean }[];
    assert.deepEqual(
      rows.map((r) => [r.path, r.before, r.after, r.stricter]),
      [['groups.hot.assets.31337:native.perTxMax', '10000000000000000000', '20000000000000000000', false]],
    );

    const cancelled = await hsmctl(['policy', 'cancel', pid, '--key', keyFile('admin-1')], admin);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(json(cancelled.stdout).status, 'cancelled');
    const read = await dev.request('GET', `/v1/policy/proposals/${pid}`, dev.tokens.auditor);
    assert.equal(read.json.status, 'cancelled');
    const again = await hsmctl(['policy', 'cancel', pid, '--key', keyFile('admin-2')], admin);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`conflict: proposal ${pid} is cancelled, not pending or scheduled: there is nothing to cancel`));
    assert.equal(again.stdout, '');
    assert.equal((await dev.request('GET', '/v1/policy', dev.tokens.auditor)).json.version, 1, 'the active policy did not change');
  });

  test('sign evm is the documented name and sign tx still works; the new commands are listed for --help', async () => {
    // hsmctl-operator.test.ts runs --help on every listed command; here: they are listed, and both sign names take the same options.
    const [top, evm, tx] = await Promise.all([hsmctl(['--help']), hsmctl(['sign', 'evm', '--help']), hsmctl(['sign', 'tx', '--help'])]);
    assert.equal(top.code, 0);
    const commands = [...top.stdout.matchAll(/^ {2}(\S+(?: \S+)?) {2,}/gm)].map((m) => m[1]!);
    for (const c of ['token add', 'token list', 'token revoke', 'token rotate', 'policy show', 'policy diff', 'policy cancel', 'sign evm', 'sign tx']) assert.ok(commands.includes(c), c);
    assert.equal(evm.code, 0, evm.stderr);
    assert.equal(tx.code, 0, tx.stderr);
    assert.match(evm.stdout, /Usage: hsmctl sign evm --requester NAME --key KEY_ID --tx TX\.json/);
    assert.match(tx.stdout, /Usage: hsmctl sign tx --requester NAME --key KEY_ID --tx TX\.json/);
    assert.equal(tx.stdout.split('\n').at(-2), evm.stdout.split('\n').at(-2), 'the same options');
    assert.ok(readFileSync(join(repoRoot, 'docs', 'hsmctl.md'), 'utf8').includes('hsmctl sign evm'), 'docs/hsmctl.md documents sign evm');
  });
});
