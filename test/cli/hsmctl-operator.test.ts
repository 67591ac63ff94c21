// hsmctl as the operator's one tool (issue 19), against a real device and bridge: --version; the
// bridge URL and token from $HSM/$HSM_TOKEN or a config file, and a refused connection naming its URL
// (`audit export`, `device attest`); `audit list`/`show` decoding the COSE_Sign1 entries (once
// `bad_request: unsupported tag`); a whitelist entry proposed, reviewed and approved, and a pending
// request listed, read and approved by two approvers, without curl; `approver sign` and `requests
// approve` refusing an answer that is not pending with a typed message and printing nothing;
// `audit verify` without --ca exiting 3 and saying the chain was not checked; --help on every command.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { startBridge, type RunningBridge } from '../../host-bridge/main.js';
import { writeApproverKey } from '../../cli/approver-key.js';
import { runHsmctl } from '../helpers/hsmctl-process.js';
import { repoRoot } from '../helpers/vectors.js';
import { advanceDeviceTime, CHAIN_ID, ETH, startTestDevice, type TestDevice } from '../helpers/test-device.js';

let dev: TestDevice;
let bridge: RunningBridge;
let dir: string;
/** A config-free environment: HOME and XDG point into the test folder, so no operator's config is read. */
let baseEnv: Record<string, string>;
/** The address the whitelist test makes active, paid by the request test. */
let recipientAddress = '';

const hsmctl = (args: string[], env: Record<string, string> = {}) => runHsmctl(args, dir, { ...baseEnv, ...env });

const keyFile = (id: string) => join(dir, `${id}.key.json`);
const json = (s: string) => JSON.parse(s) as Record<string, unknown>;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('hsmctl against a running device and bridge', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hsmctl-op-'));
    baseEnv = { HOME: dir, HSM_VAR: join(dir, 'var') };
    dev = await startTestDevice();
    bridge = await startBridge({ socketPath: dev.paths.socket, tokensFile: dev.paths.bridgeTokens, host: '127.0.0.1', port: 0 });
    for (const k of [...dev.people.admins, ...dev.people.approvers]) writeApproverKey(keyFile(k.id), k);
  });
  after(async () => {
    await bridge?.close();
    await dev?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('--version prints the package version', async () => {
    const r = await hsmctl(['--version']);
    assert.equal(r.code, 0);
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(r.stdout.trim().split(' ')[1], version);
  });

  test('audit list and audit show decode the COSE_Sign1 entries over the socket', async () => {
    const r = await hsmctl(['audit', 'list', '--var', dev.varRoot, '--device', 'dev', '--limit', '3']);
    assert.equal(r.code, 0, r.stderr);
    const entries = json(r.stdout).entries as { seq: number; entry: string; payload: { kind: string; seq: number } }[];
    assert.equal(entries.length, 3);
    assert.equal(entries[0]?.payload.kind, 'device.provision');
    assert.deepEqual(
      entries.map((e) => e.payload.seq),
      [1, 2, 3],
    );
    assert.match(entries[0]!.entry, /^0x/, 'the signed bytes stay beside the payload');
    const one = await hsmctl(['audit', 'show', '2', '--var', dev.varRoot, '--device', 'dev']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(json(one.stdout).payload, entries[1]?.payload);
    const none = await hsmctl(['audit', 'show', '999999', '--var', dev.varRoot, '--device', 'dev']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /not_found: no audit entry 999999/);
  });

  test('audit export and device attest take the URL and token from $HSM/$HSM_TOKEN or the config file; a refused connection names the URL', async () => {
    const env = { HSM: bridge.url, HSM_TOKEN: dev.tokens.auditor };
    const exported = await hsmctl(['audit', 'export', '--out', join(dir, 'audit.cbor')], env);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /exported \d+ entries/);
    const config = join(dir, 'hsmctl.json');
    writeFileSync(config, JSON.stringify({ url: bridge.url, token: dev.tokens.auditor }));
    chmodSync(config, 0o600);
    const quote = await hsmctl(['device', 'attest', '--out', join(dir, 'quote.json')], { HSMCTL_CONFIG: config });
    assert.equal(quote.code, 0, quote.stderr);
    assert.match(String(json(readFileSync(join(dir, 'quote.json'), 'utf8')).quote), /^0x/);
    chmodSync(config, 0o644);
    const open = await hsmctl(['device', 'attest'], { HSMCTL_CONFIG: config });
    assert.equal(open.code, 1);
    assert.match(open.stderr, /others can read it: chmod 600/);
    const port = await closedPort();
    for (const args of [
      ['audit', 'export', '--out', join(dir, 'other.cbor')],
      ['device', 'attest'],
      ['requests', 'list'],
    ]) {
      const down = await hsmctl(args, { HSM: `http://127.0.0.1:${port}`, HSM_TOKEN: dev.tokens.auditor });
      assert.equal(down.code, 1, args.join(' '));
      assert.match(down.stderr, new RegExp(`cannot reach the bridge: GET http://127\\.0\\.0\\.1:${port}/v1/\\S+: .*ECONNREFUSED`), args.join(' '));
      assert.doesNotMatch(down.stderr, /fetch failed/);
    }
  });

  test('audit verify without --ca exits 3 and says loudly that the chain was not checked; with it, 0', async () => {
    const info = await dev.request('GET', '/v1/device', dev.tokens.auditor);
    const cert = join(dir, 'device-cert.pem');
    const ca = join(dir, 'ca-cert.pem');
    writeFileSync(cert, String(info.json.deviceCertificate));
    writeFileSync(ca, String(info.json.caCertificate));
    const file = join(dir, 'audit.cbor');
    const unchained = await hsmctl(['audit', 'verify', file, '--device-cert', cert]);
    assert.equal(unchained.code, 3, unchained.stderr);
    assert.match(unchained.stderr, /NOT CHECKED AGAINST THE MANUFACTURER CA/);
    assert.doesNotMatch(unchained.stderr, /^hsmctl: OK/m);
    assert.equal(json(unchained.stdout).chainChecked, false);
    const chained = await hsmctl(['audit', 'verify', file, '--device-cert', cert, '--ca', ca]);
    assert.equal(chained.code, 0, chained.stderr);
    assert.match(chained.stderr, /OK: .*certificate chained to the manufacturer CA/);
    assert.equal(json(chained.stdout).chainChecked, true);
  });

  test('a whitelist entry proposed, reviewed and approved with hsmctl; approving it again is refused without posting', async () => {
    const recipient = privateKeyToAccount(generatePrivateKey()).address;
    const admin = { HSM: bridge.url, HSM_TOKEN: dev.tokens.admin };
    const proposed = await hsmctl(['whitelist', 'propose', '--group', 'hot', '--chain-id', String(CHAIN_ID), '--address', recipient, '--label', 'payee'], admin);
    assert.equal(proposed.code, 0, proposed.stderr);
    const pid = String(json(proposed.stdout).proposalId);
    const approverView = { HSM: bridge.url, HSM_TOKEN: dev.tokens.approver };
    const pending = await hsmctl(['whitelist', 'list', '--proposals'], approverView);
    assert.equal(pending.code, 0, pending.stderr);
    assert.ok((json(pending.stdout).proposals as { proposalId: string }[]).some((p) => p.proposalId === pid));
    const shown = await hsmctl(['whitelist', 'show', pid], approverView);
    assert.equal(json(shown.stdout).status, 'pending');
    for (const a of ['admin-1', 'admin-2']) {
      const r = await hsmctl(['whitelist', 'approve', pid, '--key', keyFile(a)], admin);
      assert.equal(r.code, 0, r.stderr);
    }
    const accepted = await hsmctl(['whitelist', 'show', pid], admin);
    assert.equal(json(accepted.stdout).status, 'accepted');
    writeFileSync(join(dir, 'accepted.json'), accepted.stdout);
    const again = await hsmctl(['whitelist', 'approve', pid, '--key', keyFile('admin-3')], admin);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`conflict: proposal ${pid} is accepted, not pending: there is nothing to approve`));
    assert.equal(again.stdout, '');
    const signed = await hsmctl(['approver', 'sign', '--key', keyFile('admin-3'), '--in', join(dir, 'accepted.json')]);
    assert.equal(signed.code, 1);
    assert.match(signed.stderr, /is accepted, not pending/);
    assert.doesNotMatch(signed.stderr, /"statement" expected an object/);
    assert.equal(signed.stdout, '', 'nothing to post');
    const listed = await hsmctl(['whitelist', 'list'], admin);
    assert.ok((json(listed.stdout).entries as { proposalId: string }[]).some((e) => e.proposalId === pid));
    await advanceDeviceTime(dev, 2); // past the 2 s hold, on the device's own clock
    recipientAddress = recipient;
  });

  test('a pending request listed, read and approved by two approvers with hsmctl; approving the signed one is refused', async () => {
    const keyId = String(dev.keys[0]?.keyId);
    const tx = { type: 'eip1559', chainId: CHAIN_ID, nonce: 0, to: recipientAddress, value: (2n * ETH).toString(), gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' };
    const held = await dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId, transaction: tx }, { 'Idempotency-Key': 'hsmctl-op-1' });
    assert.equal(held.status, 202, JSON.stringify(held.json));
    const env = { HSM: bridge.url, HSM_TOKEN: dev.tokens.approver };
    const list = await hsmctl(['requests', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.ok((json(list.stdout).requests as { requestId: string }[]).some((r) => r.requestId === 'hsmctl-op-1'));
    const shown = await hsmctl(['requests', 'show', 'hsmctl-op-1'], env);
    assert.equal(json(shown.stdout).status, 'pending_approval');
    const first = await hsmctl(['requests', 'approve', 'hsmctl-op-1', '--key', keyFile('alice'), '--ttl', '600'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(json(first.stdout).status, 'pending_approval');
    const second = await hsmctl(['requests', 'approve', 'hsmctl-op-1', '--key', keyFile('bob'), '--ttl', '600'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(json(second.stdout).status, 'signed');
    const late = await hsmctl(['requests', 'approve', 'hsmctl-op-1', '--key', keyFile('carol')], env);
    assert.equal(late.code, 1);
    assert.match(late.stderr, /conflict: request hsmctl-op-1 is signed, not pending: there is nothing to approve/);
    writeFileSync(join(dir, 'signed.json'), (await hsmctl(['requests', 'show', 'hsmctl-op-1'], env)).stdout);
    const signed = await hsmctl(['approver', 'sign', '--key', keyFile('carol'), '--in', join(dir, 'signed.json')]);
    assert.equal(signed.code, 1);
    assert.match(signed.stderr, /request hsmctl-op-1 is signed, not pending/);
    assert.equal(signed.stdout, '');
    const empty = await hsmctl(['approver', 'sign', '--key', keyFile('carol'), '--in', '/dev/null']);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /is empty: give the bridge's answer to sign/);
  });

  test('--help on every command', async () => {
    const top = await hsmctl(['--help']);
    assert.equal(top.code, 0);
    const commands = [...top.stdout.matchAll(/^ {2}(\S+(?: \S+)?) {2,}/gm)].map((m) => m[1]!);
    for (const c of [
      'requests list',
      'requests show',
      'requests approve',
      'whitelist propose',
      'whitelist approve',
      'whitelist list',
      'whitelist remove',
      'audit list',
      'audit show',
      'audit verify',
    ]) {
      assert.ok(commands.includes(c), c);
    }
    // Four processes at a time: each is a whole hsmctl start, and one after another they took a minute.
    const queue = [...commands];
    const worker = async () => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        const h = await hsmctl([...c.split(' '), '--help']);
        assert.equal(h.code, 0, c);
        assert.match(h.stdout, /Usage: hsmctl /, c);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    assert.equal(queue.length, 0);
  });
});
