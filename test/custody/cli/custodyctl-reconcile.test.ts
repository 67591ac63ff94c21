// custodyctl's reconciliation commands against the real service process (`custodyctl serve` with a
// temporary config naming a real anvil): reconcile now finds a break (value sent to the hot address
// outside the ledger), reconciliations lists the run, reconciliation ID --markdown prints the table,
// exceptions lists the open one, resolve ID --note resolves it as the operator token's name (a second
// time is refused, naming the URL and the problem), events shows the break and the resolution.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { registerCustodyAddress } from '../../../ledger/custody-addresses.js';
import { openLedgerDb } from '../../../ledger/open-ledger.js';
import { startAnvil, type Anvil } from '../../helpers/anvil.js';
import { repoRoot } from '../../helpers/vectors.js';
import { OPERATOR_TOKEN, READER_TOKEN, TOKEN_RECORDS } from '../fixtures.js';

const CLI = join(repoRoot, 'dist', 'custody', 'cli', 'custodyctl.js');
const HOT = '0x' + '5a'.repeat(20);
let anvil: Anvil;
let dir: string;
let service: ChildProcess | undefined;
let url = '';
let log = '';

function ctl(args: string[], token: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--url', url], { env: { PATH: process.env.PATH ?? '', CUSTODY_TOKEN: token }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number) : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

before(async () => {
  anvil = await startAnvil();
  dir = mkdtempSync(join(tmpdir(), 'custodyctl-recon-'));
  mkdirSync(join(dir, 'data'));
  const db = await openLedgerDb(join(dir, 'data'));
  await registerCustodyAddress(db, { chainId: 31337n, address: HOT, role: 'hot' });
  await db.close();
  writeFileSync(
    join(dir, 'custody.json'),
    JSON.stringify({
      http: { port: 0 },
      database: { dataDir: 'data' },
      tokens: TOKEN_RECORDS,
      chains: [{ chainId: 31337, rpcUrl: anvil.rpcUrl, finality: { confirmations: 1 } }],
      jobs: { reconcileEveryMs: 86_400_000 },
    }),
  );
  service = spawn(process.execPath, [CLI, 'serve', '--config', join(dir, 'custody.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    service!.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /custody service on (http:\/\/\S+)/.exec(log);
      if (m) resolve(m[1]!);
    });
    service!.once('exit', (code) => reject(new Error(`the service exited (${code}) before listening:\n${log}`)));
  });
});

after(async () => {
  if (service && service.exitCode === null) {
    service.kill('SIGTERM');
    await once(service, 'exit');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  await anvil?.stop();
});

test('reconcile, reconciliations, reconciliation --markdown, exceptions, resolve, events', { timeout: 600_000 }, async () => {
  await anvil.publicClient.request({ method: 'anvil_setBalance' as never, params: [HOT, '0x3e8'] as never });
  await anvil.publicClient.request({ method: 'anvil_mine' as never, params: ['0x2'] as never });

  const reader = await ctl(['reconcile', '--chain-id', '31337'], READER_TOKEN);
  assert.equal(reader.code, 2);
  assert.match(reader.stderr, new RegExp(`POST ${url}/v1/reconciliations: HTTP 403 forbidden`));

  const run = await ctl(['reconcile', '--chain-id', '31337'], OPERATOR_TOKEN);
  assert.equal(run.code, 0, run.stderr + log);
  const made = (JSON.parse(run.stdout) as { reconciliations: { id: number; block: string; breakCount: number }[] }).reconciliations[0]!;
  assert.equal(made.breakCount, 1);

  const list = await ctl(['reconciliations'], READER_TOKEN);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { reconciliations: { id: number }[] }).reconciliations.map((r) => r.id),
    [made.id],
  );

  const md = await ctl(['reconciliation', String(made.id), '--markdown'], READER_TOKEN);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, new RegExp(`^# Reconciliation ${made.id}: chain 31337 at block ${made.block}`));
  assert.match(md.stdout, new RegExp(`\\| ${HOT} \\| hot \\| 31337:native \\| 1000 \\| 0 \\| \\+1000 \\| \\*\\*break\\*\\*: unknown_inflow`));
  const json = await ctl(['reconciliation', String(made.id)], READER_TOKEN);
  assert.equal((JSON.parse(json.stdout) as { rows: unknown[] }).rows.length, 1);
  const missing = await ctl(['reconciliation', '999'], READER_TOKEN);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, new RegExp(`GET ${url}/v1/reconciliations/999: HTTP 404 not_found`));

  const open = await ctl(['exceptions', '--status', 'open'], READER_TOKEN);
  const items = (JSON.parse(open.stdout) as { exceptions: { id: number; kind: string; amount: string }[] }).exceptions;
  assert.deepEqual(
    items.map((e) => [e.kind, e.amount]),
    [['unknown_inflow', '1000']],
  );
  const id = String(items[0]!.id);

  const noNote = await ctl(['resolve', id], OPERATOR_TOKEN);
  assert.equal(noNote.code, 2);
  assert.match(noNote.stderr, /give --note/);
  const resolved = await ctl(['resolve', id, '--note', 'a test top-up on the devnet'], OPERATOR_TOKEN);
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.equal((JSON.parse(resolved.stdout) as { resolvedBy: string }).resolvedBy, 'operator');
  const twice = await ctl(['resolve', id, '--note', 'again'], OPERATOR_TOKEN);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, new RegExp(`POST ${url}/v1/reconciliation-exceptions/${id}/resolve: HTTP 409 already_resolved`));

  const events = await ctl(['events'], READER_TOKEN);
  assert.deepEqual(
    (JSON.parse(events.stdout) as { events: { type: string }[] }).events.map((e) => e.type),
    ['reconciliation.break', 'exception.resolved'],
  );
  const none = await ctl(['exceptions', '--status', 'open'], READER_TOKEN);
  assert.deepEqual(JSON.parse(none.stdout), { exceptions: [], next: null });
});
