// `make run` and the README's quick start, so neither can drift: starts `hsmctl run` (what `make run`
// runs: anvil, the appliance on its SoftHSM2 token, the bridge, the custody service with its withdrawal
// worker) in a temporary folder, runs the README's own curl commands from its quick-start block (the
// withdrawal, then its listing polled with a deadline until `completed`, then the customer's balance),
// and checks the chain (the recipient got the amount), a reconciliation without breaks, and that Ctrl-C
// (SIGINT) stops everything.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, http, parseEther } from 'viem';
import type { DemoRun } from '../../cli/run-demo.js';
import { startHsmctlRun, type HsmctlRun } from '../helpers/hsmctl-run.js';
import { repoRoot } from '../helpers/vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'run-demo-'));
let running: HsmctlRun | undefined;

after(() => {
  running?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** The quick start's shell block: the first ```sh block after the one with `make run`, continuation lines joined. */
function quickStart(): { setup: string; create: string; list: string; balances: string } {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes('/v1/withdrawals'));
  assert.ok(block, 'the README has a quick-start block with the withdrawal');
  const lines = block.replace(/\\\n/g, ' ').split('\n').filter(Boolean);
  const find = (s: string) => {
    const l = lines.find((x) => x.includes(s));
    assert.ok(l, `the quick start has a line with ${s}`);
    return l;
  };
  return { setup: lines[0]!, create: find('Idempotency-Key'), list: find('/v1/withdrawals?'), balances: find('/v1/ledger/balances') };
}

const sh = (setup: string, line: string): unknown => JSON.parse(execFileSync('bash', ['-c', `${setup}\n${line}`], { cwd: dir, encoding: 'utf8' }));

test('make run, then the README quick start: one withdrawal reaches completed, on the ledger and on the chain', async () => {
  const q = quickStart();
  running = await startHsmctlRun(dir);
  const { printed } = running;
  const stderr = running.log;
  const run = JSON.parse(readFileSync(join(dir, 'var', 'demo-run', 'demo-run.json'), 'utf8')) as DemoRun;
  assert.ok(printed.includes(run.custodyUrl) && printed.includes(run.anvilUrl), 'the URLs are printed');

  const created = sh(q.setup, q.create) as { id: string; state: string; customer: string };
  assert.equal(created.customer, 'demo-customer');
  assert.equal(created.state, 'requested');
  let state = created.state;
  const deadline = Date.now() + 60_000;
  while (state !== 'completed') {
    assert.ok(!['rejected', 'failed', 'cancelled', 'operator'].includes(state), `the withdrawal stopped in ${state}; service log:\n${stderr()}`);
    assert.ok(Date.now() < deadline, `still ${state} after 60 s; service log:\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 250));
    const listed = sh(q.setup, q.list) as { withdrawals: { id: string; state: string }[] };
    state = listed.withdrawals.find((w) => w.id === created.id)!.state;
  }

  const { balances } = sh(q.setup, q.balances) as { balances: { asset: string; available: string; reserved: string; pending: string }[] };
  const native = balances.find((b) => b.asset === run.asset)!;
  assert.deepEqual([native.available, native.reserved, native.pending], [(parseEther('10') - parseEther('0.5')).toString(), '0', '0']);

  const chain = createPublicClient({ transport: http(run.anvilUrl) });
  assert.equal(await chain.getBalance({ address: '0x000000000000000000000000000000000000dEaD' }), parseEther('0.5'), 'the recipient got it on the chain');
  const operator = readFileSync(run.tokenFiles.operator!, 'utf8').trim();
  const rec = await fetch(`${run.custodyUrl}/v1/reconciliations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: '{"chainId":"31337"}',
  });
  const body = (await rec.json()) as { reconciliations: { breakCount: number; rows: { role: string; difference: string }[] }[] };
  assert.equal(rec.status, 201, JSON.stringify(body));
  assert.equal(body.reconciliations[0]!.breakCount, 0, 'the ledger and the chain agree');
  assert.ok(body.reconciliations[0]!.rows.some((r) => r.role === 'hot' && r.difference === '0'));

  assert.equal(await running.interrupt(), 0, 'Ctrl-C stops everything and exits cleanly');
  assert.match(stderr(), /stopped/);
});
