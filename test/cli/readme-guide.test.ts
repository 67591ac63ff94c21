// The README's operator guide as a test, so it cannot drift: starts `hsmctl run` (what `make run`
// runs) in a temporary folder, runs the three commands it prints to try next, then the guide's blocks in
// order, the README's (marked `<!-- guide:NAME -->`) and then docs/policy.md's, each with bash and the
// guide's own shell variables (the bridge URL replaced by the one printed), and checks each outcome: the
// whitelist proposal held, a sign denied in the hold (`whitelist_hold`), the same transaction signed
// after it with a new Idempotency-Key (recovering to the demo key) and mined on `make run`'s anvil, a 2 ETH request pending and signed at
// the second approval, a loosening policy change scheduled behind its time lock and active after it,
// and its rollback active at the quorum. Where the guide says `sleep N` to a human, the test does not
// sleep: it moves the device's own clock N seconds forward with an admin time statement signed by two
// demo admins (POST /v1/device/time/attestations, docs/device-time.md), which is what N seconds of
// waiting does to the device's clock.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, http, recoverTransactionAddress, type Hex, type TransactionSerialized } from 'viem';
import { readApproverKey, signStatement } from '../../cli/approver-key.js';
import { encodeTimeStatement } from '../../firmware-policy/time-statement.js';
import { markedBlocks, runBlock } from '../helpers/guide-shell.js';
import { startHsmctlRun, type HsmctlRun } from '../helpers/hsmctl-run.js';
import { repoRoot } from '../helpers/vectors.js';

const GUIDE_URL = 'http://127.0.0.1:8080';
/** The longest one block of the guide may take (a few hsmctl calls). */
const BLOCK_MS = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'readme-guide-'));
let running: HsmctlRun | undefined;

after(() => {
  running?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** The `<!-- guide:NAME -->` blocks of the README, then of docs/policy.md, in order. */
const guideSteps = () => ['README.md', join('docs', 'policy.md')].flatMap((file) => markedBlocks(join(repoRoot, file), 'guide'));

/** Runs a script with bash in the test folder (as the operator's shell at the repository root), bounded. */
const bash = (script: string) => runBlock(script, { cwd: dir, home: dir, ms: BLOCK_MS });

const readJson = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;

test("make run, then the README's operator guide in order: hold denial, signature after the hold, two approvals, a time-locked policy change and its rollback", async () => {
  const steps = guideSteps();
  assert.deepEqual(
    steps.map((s) => s.name),
    ['env', 'whitelist', 'sign-in-hold', 'sign-after-hold', 'approve', 'policy-change', 'policy-rollback'],
    'the guide blocks, in order',
  );
  // The guide runs from the repository root: its `node dist/cli/hsmctl.js` finds the build through this link.
  symlinkSync(join(repoRoot, 'dist'), join(dir, 'dist'));
  running = await startHsmctlRun(dir);
  const { printed } = running;
  const url = /bridge URL:\s+(\S+)/.exec(printed)?.[1];
  assert.ok(url, `the bridge URL is printed:\n${printed}`);
  const anvilUrl = /anvil \(chain 31337, a block a second\):\s+(\S+)/.exec(printed)?.[1];
  assert.ok(anvilUrl, `anvil's URL is printed:\n${printed}`);
  const info = JSON.parse(readFileSync(join(dir, 'var', 'demo', 'demo-keys', 'DEMO-info.json'), 'utf8')) as { tokens: Record<string, string>; address: string };

  // The three commands `make run` prints to try next: each runs as printed.
  const next = [...printed.matchAll(/^\s+\d\. (.+)$/gm)].map((m) => m[1]!);
  assert.equal(next.length, 3, `three commands to try next:\n${printed}`);
  for (const cmd of next) {
    const r = await bash(cmd);
    assert.equal(r.code, 0, `${cmd}\n${r.stderr}`);
  }

  const api = async (method: string, path: string, token: string): Promise<Record<string, unknown>> => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as Record<string, unknown>;
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };

  /** What `sleep N` does to the device: its own clock N seconds on, here by an admin time statement of two demo admins. */
  const moveDeviceClock = async (seconds: number): Promise<void> => {
    const read = (await api('GET', '/v1/device/time', info.tokens.admin!)) as { time: number; hostTime: number; nonce: string; statement: { deviceId: string } };
    const target = read.time + seconds;
    const nonce = Buffer.from(read.nonce.slice(2), 'hex');
    const expiresAt = read.hostTime + 600;
    const approvals = ['admin-1', 'admin-2'].map((id) => {
      const key = readApproverKey(join(dir, 'var', 'demo', 'demo-keys', `DEMO-${id}.key.json`));
      const statement = encodeTimeStatement(read.statement.deviceId, { nonce, time: target }, key.id, expiresAt);
      return { adminId: key.id, expiresAt, signature: '0x' + Buffer.from(signStatement(key, statement)).toString('hex') };
    });
    const res = await fetch(`${url}/v1/device/time/attestations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ time: target, nonce: read.nonce, approvals }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.ok(Number(body.time) >= target, `the device's clock moved ${seconds} s: ${JSON.stringify(body)}`);
  };

  const env = steps[0]!.body;
  assert.ok(env.includes(GUIDE_URL), `the guide's setup names ${GUIDE_URL}`);
  const setup = `set -e -o pipefail\n${env.replaceAll(GUIDE_URL, url)}`;

  /**
   * Runs one guide block: its `sleep N` lines move the device's clock instead (after `beforeWait`
   * checks what the wait is for); every other line runs with bash after the guide's setup.
   */
  const run = async (name: string, o: { expectCode?: number; beforeWait?: () => Promise<void> } = {}) => {
    const body = steps.find((s) => s.name === name)!.body;
    const parts: (string | number)[] = [];
    let chunk = '';
    for (const line of body.split('\n')) {
      const wait = /^sleep (\d+)\b/.exec(line);
      if (wait) {
        parts.push(chunk, Number(wait[1]));
        chunk = '';
      } else chunk += line + '\n';
    }
    parts.push(chunk);
    let stdout = '';
    let stderr = '';
    let code: number | null = 0;
    for (const part of parts) {
      if (typeof part === 'number') {
        await o.beforeWait?.();
        await moveDeviceClock(part);
        continue;
      }
      if (part.trim() === '') continue;
      const r = await bash(`${setup}\n${part}`);
      stdout += r.stdout;
      stderr += r.stderr;
      code = r.code;
      if (r.code !== 0) break;
    }
    assert.equal(code, o.expectCode ?? 0, `guide step ${name} exited ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}\nhsmctl run:\n${running!.log()}`);
    return { stdout, stderr };
  };

  await run('env');

  await run('whitelist');
  const proposal = readJson('proposal.json');
  const accepted = await api('GET', `/v1/whitelist/proposals/${String(proposal.proposalId)}`, info.tokens.admin!);
  assert.equal(accepted.status, 'accepted', JSON.stringify(accepted));

  const denied = await run('sign-in-hold', { expectCode: 1 });
  const denial = JSON.parse(denied.stdout) as { reasons?: { rule: string; code: string }[] };
  assert.ok(
    denial.reasons?.some((r) => r.rule === 'whitelist' && r.code === 'whitelist_hold'),
    `denied in the hold: ${denied.stdout}`,
  );
  assert.match(denied.stderr, /HTTP 403/);

  const sent = await run('sign-after-hold');
  const signed = readJson('signed.json') as { rawTransaction?: string; txHash?: string };
  assert.match(String(signed.txHash), /^0x[0-9a-f]{64}$/);
  const signer = await recoverTransactionAddress({ serializedTransaction: signed.rawTransaction as TransactionSerialized });
  assert.equal(signer.toLowerCase(), info.address.toLowerCase(), 'signed by the demo key');
  // Broadcast to `make run`'s anvil (the URL its banner prints), and mined there.
  assert.deepEqual(JSON.parse(sent.stdout), { jsonrpc: '2.0', id: 1, result: signed.txHash }, 'anvil accepted the signed transaction');
  const receipt = await createPublicClient({ transport: http(anvilUrl) }).waitForTransactionReceipt({ hash: signed.txHash as Hex, timeout: 30_000 });
  assert.equal(receipt.status, 'success', 'mined');
  assert.equal(receipt.from.toLowerCase(), info.address.toLowerCase());
  // The bridge's JSON-RPC route reads the same chain (anvil is its node).
  const rpc = await fetch(`${url}/v1/rpc`, {
    method: 'POST',
    headers: { authorization: `Bearer ${info.tokens.orchestrator}`, 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_getTransactionReceipt', params: [signed.txHash] }),
  });
  const viaBridge = (await rpc.json()) as { result?: { blockHash?: string } };
  assert.equal(viaBridge.result?.blockHash, receipt.blockHash, `the bridge's POST /v1/rpc reaches anvil: ${JSON.stringify(viaBridge)}`);

  const approved = await run('approve');
  assert.equal(readJson('pending.json').status, 'pending_approval', 'the 2 ETH request waited for approvals');
  assert.match(approved.stderr, /approved as alice: now pending_approval/);
  assert.match(approved.stderr, /approved as bob: now signed/);
  const request = await api('GET', '/v1/requests/withdrawal-0003', info.tokens.approver!);
  assert.equal(request.status, 'signed', JSON.stringify(request));

  const version = async () => (await api('GET', '/v1/policy', info.tokens.auditor!)) as { version: number };
  assert.equal((await version()).version, 1);
  await run('policy-change', {
    beforeWait: async () => {
      const change = await api('GET', `/v1/policy/proposals/${String(readJson('change.json').proposalId)}`, info.tokens.admin!);
      assert.equal(change.status, 'scheduled', `the loosening waits its time lock: ${JSON.stringify(change)}`);
      assert.equal((await version()).version, 1, 'not active before the time lock');
    },
  });
  const v2 = await version();
  assert.equal(v2.version, 2, 'active after the time lock');
  assert.ok(JSON.stringify(v2).includes('15000000000000000000'), 'version 2 allows 15 ETH a transaction');

  await run('policy-rollback');
  const back = await api('GET', `/v1/policy/proposals/${String(readJson('back.json').proposalId)}`, info.tokens.admin!);
  assert.equal(back.status, 'active', `the rollback only tightens: active at the quorum: ${JSON.stringify(back)}`);
  const v3 = await version();
  assert.equal(v3.version, 3);
  assert.ok(!JSON.stringify(v3).includes('15000000000000000000'), 'version 3 is back to 10 ETH');

  assert.equal(await running.interrupt(), 0, 'Ctrl-C stops everything');
});
