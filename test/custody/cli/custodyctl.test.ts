// The real service process and the real CLI: a ledger data folder with postings made through postEntry,
// `custodyctl serve` on it with a temporary config, custodyctl reading balances, entries, one entry,
// the registry and the replay over HTTP (URL and token from flags, then from the environment), errors
// that name the URL and the problem, --help on every command, then offline replay of the stopped
// service's data folder: consistent, and exit 1 once a stored balance is tampered with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { openLedgerDb } from '../../../ledger/open-ledger.js';
import { repoRoot } from '../../helpers/vectors.js';
import { ETH, OPERATOR_TOKEN, READER_TOKEN, TOKEN_RECORDS, standardBook } from '../fixtures.js';

const CLI = join(repoRoot, 'dist', 'custody', 'cli', 'custodyctl.js');
let dir: string;
let dataDir: string;
let readerFile: string;
let operatorFile: string;
let service: ChildProcess | undefined;
let url = '';
let serviceLog = '';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number) : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

const api = (...args: string[]) => ctl([...args, '--url', url, '--token-file', readerFile]);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custodyctl-'));
  dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const db = await openLedgerDb(dataDir);
  await standardBook(db);
  await db.close();
  readerFile = join(dir, 'reader.token');
  operatorFile = join(dir, 'operator.token');
  writeFileSync(readerFile, READER_TOKEN + '\n', { mode: 0o600 });
  writeFileSync(operatorFile, OPERATOR_TOKEN + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'custody.json'), JSON.stringify({ http: { host: '127.0.0.1', port: 0 }, database: { dataDir: 'data' }, tokens: TOKEN_RECORDS }));
  service = spawn(process.execPath, [CLI, 'serve', '--config', join(dir, 'custody.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  service.stdout!.on('data', (d: Buffer) => (serviceLog += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    service!.stderr!.on('data', (d: Buffer) => {
      serviceLog += d.toString();
      const m = /custody service on (http:\/\/\S+)/.exec(serviceLog);
      if (m) resolve(m[1]!);
    });
    service!.once('exit', (code) => reject(new Error(`the service exited (${code}) before listening:\n${serviceLog}`)));
  });
});

after(async () => {
  if (service && service.exitCode === null) {
    service.kill('SIGKILL');
    await once(service, 'exit');
  }
  rmSync(dir, { recursive: true, force: true });
});

test('custodyctl against the running service: balances, entries, one entry, addresses, replay', { timeout: 600_000 }, async () => {
  const balances = await api('balances', '--customer', 'bob');
  assert.equal(balances.code, 0, balances.stderr);
  assert.deepEqual(JSON.parse(balances.stdout), {
    balances: [{ accountId: `customer/bob/${ETH}`, kind: 'customer', owner: 'bob', asset: ETH, available: '2000000000000000000', reserved: '0', pending: '0', settled: '0' }],
  });

  const page = await api('entries', '--limit', '4');
  assert.equal(page.code, 0, page.stderr);
  assert.equal(JSON.parse(page.stdout).next, '4');
  const all = await api('entries', '--all', '--limit', '2');
  assert.deepEqual(
    (JSON.parse(all.stdout).entries as { id: string }[]).map((e) => e.id),
    ['1', '2', '3', '4', '5', '6', '7', '8', '9'],
  );
  const traced = await api('entries', '--trace-id', 'wd-1');
  assert.deepEqual(
    (JSON.parse(traced.stdout).entries as { kind: string }[]).map((e) => e.kind),
    ['withdrawal.request'],
  );
  const entry = await api('entry', '9');
  assert.equal(JSON.parse(entry.stdout).reverses, '8');
  const account = await api('account', `customer/alice/${ETH}`);
  assert.equal(JSON.parse(account.stdout).reserved, '1000000000000000000');

  const added = await ctl(['add-hot-address', '--chain-id', '31337', '--address', '0x90f79bf6eb2c4f870365e785982e1f101e93b906', '--url', url, '--token-file', operatorFile]);
  assert.equal(added.code, 0, added.stderr);
  const addresses = await api('addresses');
  assert.deepEqual(JSON.parse(addresses.stdout).addresses, [{ chainId: '31337', address: '0x90f79bf6eb2c4f870365e785982e1f101e93b906', role: 'hot' }]);

  const replay = await api('replay');
  assert.equal(replay.code, 0, replay.stderr);
  assert.deepEqual(JSON.parse(replay.stdout), { consistent: true, entries: 9, differences: [], corrupt: null });
  assert.match(replay.stderr, /reproduces every stored balance/);

  // URL and token from the environment.
  const fromEnv = await ctl(['entry', '1'], { CUSTODY_URL: url, CUSTODY_TOKEN: READER_TOKEN });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.equal(JSON.parse(fromEnv.stdout).kind, 'deposit.inclusion');
});

test('errors name the URL and the problem; a reader cannot register; no token leaks', { timeout: 600_000 }, async () => {
  const refused = await ctl(['add-hot-address', '--chain-id', '31337', '--address', '0x90f79bf6eb2c4f870365e785982e1f101e93b906', '--url', url, '--token-file', readerFile]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, new RegExp(`POST ${url}/v1/custody-addresses: HTTP 403 forbidden: `));
  const missing = await api('entry', '99');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, new RegExp(`GET ${url}/v1/ledger/entries/99: HTTP 404 not_found: no such entry`));
  const unknownToken = await ctl(['balances', '--url', url], { CUSTODY_TOKEN: 'cst_some_unknown_token_1234' });
  assert.match(unknownToken.stderr, /HTTP 401 unauthorized: unknown bearer token/);
  assert.ok(!unknownToken.stderr.includes('cst_some_unknown_token_1234'));
  const noToken = await ctl(['balances', '--url', url]);
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /--token-file FILE or \$CUSTODY_TOKEN/);
  // A port nothing listens on: one the OS gave a server that is closed again.
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const closedPort = (probe.address() as AddressInfo).port;
  probe.close();
  await once(probe, 'close');
  const down = await ctl(['balances', '--url', `http://127.0.0.1:${closedPort}`], { CUSTODY_TOKEN: READER_TOKEN });
  assert.equal(down.code, 2);
  assert.match(down.stderr, new RegExp(`GET http://127\\.0\\.0\\.1:${closedPort}/v1/ledger/balances: connection refused \\(ECONNREFUSED\\)`));
  // A blocked port is named too.
  const blocked = await ctl(['balances', '--url', 'http://127.0.0.1:9'], { CUSTODY_TOKEN: READER_TOKEN });
  assert.match(blocked.stderr, /GET http:\/\/127\.0\.0\.1:9\/v1\/ledger\/balances: bad port/);
  assert.doesNotMatch(down.stderr, /fetch failed/);
  assert.ok(!serviceLog.includes(READER_TOKEN) && !serviceLog.includes(OPERATOR_TOKEN), 'the service logs no token');
});

test('--help on every command', { timeout: 600_000 }, async () => {
  const top = await ctl(['--help']);
  assert.equal(top.code, 0);
  const commands = [...top.stdout.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]!);
  assert.deepEqual(commands, [
    'balances',
    'account',
    'entries',
    'entry',
    'addresses',
    'add-hot-address',
    'replay',
    'token',
    'serve',
    'deposit-address',
    'deposits',
    'sweep',
    'sweeps',
    'reconcile',
    'reconciliations',
    'reconciliation',
    'exceptions',
    'resolve',
    'events',
  ]);
  for (const c of commands) {
    const h = await ctl([c, '--help']);
    assert.equal(h.code, 0, c);
    assert.match(h.stdout, new RegExp(`usage: custodyctl ${c}`), c);
  }
  const unknown = await ctl(['balances', '--nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--help lists the options/);
});

test('offline replay of the stopped service’s data folder: consistent, then exit 1 on a tampered balance', { timeout: 600_000 }, async () => {
  service!.kill('SIGTERM');
  const [code] = (await once(service!, 'exit')) as [number | null];
  assert.equal(code, 0, serviceLog);
  assert.match(serviceLog, /stopped/);

  const ok = await ctl(['replay', '--data', dataDir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { consistent: true, entries: 9, differences: [], corrupt: null });

  const db = await openLedgerDb(dataDir);
  await db.query("UPDATE ledger_balances SET amount = amount - 5 WHERE account_id = $1 AND state = 'available'", [`customer/alice/${ETH}`]);
  await db.close();
  const broken = await ctl(['replay', '--data', dataDir]);
  assert.equal(broken.code, 1);
  assert.deepEqual(JSON.parse(broken.stdout).differences, [{ accountId: `customer/alice/${ETH}`, state: 'available', stored: '3999999999999999995', replayed: '4000000000000000000' }]);
  assert.match(broken.stderr, /differs from the stored balances in 1 place/);

  const empty = mkdtempSync(join(tmpdir(), 'custodyctl-empty-'));
  try {
    const none = await ctl(['replay', '--data', empty]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /holds no ledger database/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
