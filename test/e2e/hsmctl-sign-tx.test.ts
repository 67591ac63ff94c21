// `hsmctl sign tx` against the real bridge served over HTTP (@hono/node-server), the appliance process
// and its SoftHSM2 token, where the key group requires signed requests: the requester's key lives in
// its own token (`hsmctl requester init`), the CLI stamps the transfer with it and the transfer is
// signed with the requester verified; the same request without the stamp, or stamped by another
// token's key, is denied; an unreachable bridge is named in the error.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { parseTransaction } from 'viem';
import { CHAIN_ID, ETH, startTestDevice, TEST_PRINCIPALS, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';
import { repoRoot } from '../helpers/vectors.js';

const HSMCTL = join(repoRoot, 'dist', 'cli', 'hsmctl.js');
const recipient = privateKeyToAccount(generatePrivateKey()).address;
let dev: TestDevice;
let server: ServerType;
let url: string;
let work: string;
let keyId: string;

/** Runs hsmctl without blocking this process (the bridge it talks to is served from here). */
function hsmctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [HSMCTL, ...args], { cwd: work, env: { ...process.env, HSM_VAR: join(work, 'var') } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const transfer = (nonce: number) => ({
  type: 'eip1559',
  chainId: CHAIN_ID,
  nonce,
  to: recipient,
  value: (ETH / 10n).toString(),
  gasLimit: 21000,
  maxFeePerGas: '2000000000',
  maxPriorityFeePerGas: '1',
});

async function post(body: unknown, idempotencyKey: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/sign/evm-transaction`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${dev.tokens.orchestrator}`, 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const codes = (json: Record<string, unknown>) => ((json.reasons as { code: string }[] | undefined) ?? []).map((r) => r.code);

describe('hsmctl sign tx: a requester stamps with its own token, the appliance checks the stamp', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sign-tx-cli-'));
    const init = await hsmctl('requester', 'init', '--name', 'orchestrator');
    assert.equal(init.code, 0, init.stderr);
    const entry = JSON.parse(init.stdout) as { id: string; alg: string; publicKey: string };
    // A second requester token whose key the policy does not list for the orchestrator.
    assert.equal((await hsmctl('requester', 'init', '--name', 'impostor')).code, 0);
    dev = await startTestDevice({
      policy: (p) => {
        const base = testPolicyJson(p, { holdSeconds: 0 });
        return {
          ...base,
          requesters: [{ ...entry, groups: ['hot'] }, ...(TEST_PRINCIPALS.requesters ?? []).filter((r) => r.id !== 'orchestrator')],
          groups: { hot: { ...base.groups.hot!, requireSignedRequests: true } },
        };
      },
    });
    keyId = String(dev.keys[0]!.keyId);
    await whitelist(dev, recipient, 'hot');
    await new Promise<void>((resolve) => {
      server = serve({ fetch: dev.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
        url = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    writeFileSync(join(work, 'orch.token'), dev.tokens.orchestrator, { mode: 0o600 });
    writeFileSync(join(work, 'tx0.json'), JSON.stringify(transfer(0)));
    writeFileSync(join(work, 'tx1.json'), JSON.stringify(transfer(1)));
  });
  after(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await dev?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the stamped transfer is signed, and its audit entry names the requester as verified', async () => {
    const r = await hsmctl('sign', 'tx', '--requester', 'orchestrator', '--key', keyId, '--tx', 'tx0.json', '--idempotency-key', 'cli-0', '--url', url, '--token-file', 'orch.token');
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(answer.status, 'signed', r.stdout);
    const tx = parseTransaction(String(answer.rawTransaction) as `0x${string}`);
    assert.equal(tx.to?.toLowerCase(), recipient.toLowerCase());
    assert.equal(tx.value, ETH / 10n);
    const page = await dev.request('GET', `/v1/audit?fromSeq=${Number(answer.auditSeq)}&limit=1`, dev.tokens.auditor);
    const entry = (page.json.entries as { payload: Record<string, unknown> }[])[0]!.payload;
    assert.deepEqual([entry.outcome, entry.requesterProof], ['allow', 'verified']);
  });

  test('the same transfer without a stamp is denied: request_unsigned', async () => {
    const res = await post({ keyId, transaction: transfer(1) }, 'cli-unsigned');
    assert.equal(res.status, 403);
    assert.deepEqual(codes(res.json), ['request_unsigned']);
  });

  test("a stamp by another token's key is denied, and hsmctl exits 1 naming the bridge", async () => {
    // The impostor's token signs a statement that names the orchestrator: wrong key for that requester.
    const r = await hsmctl('sign', 'tx', '--requester', 'impostor', '--key', keyId, '--tx', 'tx1.json', '--idempotency-key', 'cli-impostor', '--url', url, '--token-file', 'orch.token');
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`${url} answered HTTP 403`), r.stderr);
    assert.ok(codes(JSON.parse(r.stdout) as Record<string, unknown>).includes('request_bad_signature'), r.stdout);
  });

  test('an unreachable bridge is named in the error', async () => {
    const dead = 'http://127.0.0.1:9';
    const r = await hsmctl('sign', 'tx', '--requester', 'orchestrator', '--key', keyId, '--tx', 'tx1.json', '--idempotency-key', 'cli-dead', '--url', dead, '--token-file', 'orch.token');
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`cannot reach the bridge: GET ${dead}/healthz`), r.stderr);
  });
});
