// The service's config: a full file parsed into typed values (paths from the file's folder, chain ids
// as bigint), defaults, each bad field refused with a CustodyConfigError naming it, the config path from
// the flag then $CUSTODY_CONFIG, and a postgresUrl that opens a real PostgreSQL server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustodyConfigError, loadConfig, parseConfig } from '../../custody/config.js';
import { openCustodyDb } from '../../custody/database.js';
import { configPath } from '../../custody/main.js';
import { startPostgres } from '../helpers/postgres.js';

const SHA = 'a'.repeat(64);

test('a full config file becomes typed values; relative paths are taken from its folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custody-config-'));
  try {
    const file = join(dir, 'custody.json');
    writeFileSync(
      file,
      JSON.stringify({
        http: { host: '0.0.0.0', port: 9100 },
        database: { dataDir: 'ledger-data' },
        tokens: [{ name: 'ops', scopes: ['reader', 'operator'], sha256: SHA }],
        chains: [{ chainId: 31337, rpcUrl: 'http://127.0.0.1:8545', finality: { confirmations: 2 }, tokens: ['0x5FbDB2315678afecb367f032d93F642f64180aa3'] }],
        bridge: { url: 'http://127.0.0.1:8080', tokenFile: 'bridge.token', requestKeyFile: 'custody-request.pem', admin: { id: 'ops-admin', tokenFile: 'admin.token' }, depositGroup: 'dep' },
        jobs: { reconcileEveryMs: 60_000, sweepEveryMs: 30_000 },
      }),
    );
    const cfg = loadConfig(file);
    assert.deepEqual(cfg.http, { host: '0.0.0.0', port: 9100 });
    assert.deepEqual(cfg.database, { kind: 'embedded', dataDir: join(dir, 'ledger-data') });
    assert.deepEqual(cfg.tokens, [{ name: 'ops', scopes: ['reader', 'operator'], sha256: SHA }]);
    assert.deepEqual(cfg.chains, [{ chainId: 31337n, rpcUrl: 'http://127.0.0.1:8545', finality: { confirmations: 2 }, tokens: ['0x5FbDB2315678afecb367f032d93F642f64180aa3'] }]);
    assert.deepEqual(cfg.bridge, {
      url: 'http://127.0.0.1:8080',
      tokenFile: join(dir, 'bridge.token'),
      requesterId: 'custody',
      requestKeyFile: join(dir, 'custody-request.pem'),
      deviceId: undefined,
      admin: { id: 'ops-admin', tokenFile: join(dir, 'admin.token'), requestKeyFile: undefined },
      depositGroup: 'dep',
    });
    assert.deepEqual(cfg.jobs, { depositsEveryMs: 4000, reconcileEveryMs: 60_000, sweepEveryMs: 30_000, withdrawalsEveryMs: 2000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty config takes the defaults: 127.0.0.1:8090, an in-memory ledger, no tokens, chains or bridge', () => {
  assert.deepEqual(parseConfig({}, '/x'), {
    http: { host: '127.0.0.1', port: 8090 },
    database: { kind: 'embedded', dataDir: undefined },
    tokens: [],
    chains: [],
    bridge: undefined,
    jobs: { depositsEveryMs: 4000, reconcileEveryMs: 300_000, sweepEveryMs: null, withdrawalsEveryMs: 2000 },
    withdrawals: undefined,
  });
});

const HOT = '0x' + '24'.repeat(20);
const withBridge = (withdrawals: unknown, extra: object = {}) => ({
  chains: [{ chainId: 31337, rpcUrl: 'http://127.0.0.1:8545', finality: { confirmations: 2 } }],
  bridge: { url: 'http://127.0.0.1:8080', tokenFile: 'bridge.token', requestKeyFile: 'req.pem' },
  withdrawals,
  ...extra,
});
const oneChain = (c: object = {}) => ({ chains: [{ chainId: 31337, hotKeyId: 'k-1', hotAddress: HOT, feeCap: { gasLimit: 100000, maxFeeWei: '10000000000000000' }, ...c }] });

test('the withdrawal worker: endpoints default to the chain rpcUrl, defaults for gas, deadline, routes and worker; the risk list path from the folder', () => {
  const cfg = parseConfig(withBridge({ ...oneChain(), checks: { dailyLimits: { '31337:native': '5000' }, riskListFile: 'risk.txt' } }, { jobs: { withdrawalsEveryMs: 500 } }), '/x');
  assert.equal(cfg.jobs.withdrawalsEveryMs, 500);
  assert.deepEqual(cfg.withdrawals, {
    worker: 'custody-worker',
    chains: [
      {
        chainId: 31337n,
        endpoints: ['http://127.0.0.1:8545'],
        quorum: undefined,
        hotKeyId: 'k-1',
        hotAddress: HOT,
        feeCap: { gasLimit: 100000n, maxFeeWei: 10n ** 16n },
        gasLimits: { native: 21000n, erc20: 100000n },
        inclusionDeadlineBlocks: 20,
      },
    ],
    checks: { dailyLimits: { '31337:native': 5000n }, travelRuleAbove: {}, riskListFile: '/x/risk.txt' },
    routes: { expired: 'bump', maxAutomatic: 5, maxInconsistentRounds: 3 },
    stampTtlSeconds: undefined,
  });
});

test('each bad withdrawal field is refused with an error naming it', () => {
  const cases: [unknown, string][] = [
    [{ withdrawals: oneChain() }, 'withdrawals'],
    [{ ...withBridge(oneChain()), bridge: { url: 'http://b' } }, 'bridge.tokenFile'],
    [withBridge({ chains: [] }), 'withdrawals.chains'],
    [withBridge(oneChain({ chainId: 1 })), 'withdrawals.chains[0].chainId'],
    [withBridge(oneChain({ endpoints: ['ftp://a'] })), 'withdrawals.chains[0].endpoints[0]'],
    [withBridge(oneChain({ quorum: 2 })), 'withdrawals.chains[0].quorum'],
    [withBridge(oneChain({ hotAddress: '0x12' })), 'withdrawals.chains[0].hotAddress'],
    [withBridge(oneChain({ hotKeyId: undefined })), 'withdrawals.chains[0].hotKeyId'],
    [withBridge(oneChain({ feeCap: { gasLimit: 0, maxFeeWei: '1' } })), 'withdrawals.chains[0].feeCap.gasLimit'],
    [withBridge(oneChain({ feeCap: { gasLimit: 1, maxFeeWei: '-1' } })), 'withdrawals.chains[0].feeCap.maxFeeWei'],
    [withBridge(oneChain({ gasLimits: { native: 1.5 } })), 'withdrawals.chains[0].gasLimits.native'],
    [withBridge(oneChain({ inclusionDeadlineBlocks: 0 })), 'withdrawals.chains[0].inclusionDeadlineBlocks'],
    [withBridge(oneChain({ rpc: 'x' })), 'withdrawals.chains[0].rpc'],
    [withBridge({ ...oneChain(), checks: { dailyLimits: { ETH: '1' } } }), 'withdrawals.checks.dailyLimits.ETH'],
    [withBridge({ ...oneChain(), checks: { travelRuleAbove: { '31337:native': 'lots' } } }), 'withdrawals.checks.travelRuleAbove.31337:native'],
    [withBridge({ ...oneChain(), checks: { riskListFile: '' } }), 'withdrawals.checks.riskListFile'],
    [withBridge({ ...oneChain(), routes: { expired: 'ignore' } }), 'withdrawals.routes.expired'],
    [withBridge({ ...oneChain(), routes: { maxInconsistentRounds: 0 } }), 'withdrawals.routes.maxInconsistentRounds'],
    [withBridge({ ...oneChain(), worker: 'a b' }), 'withdrawals.worker'],
    [withBridge({ ...oneChain(), stampTtlSeconds: 1 }), 'withdrawals.stampTtlSeconds'],
    [withBridge(oneChain(), { jobs: { withdrawalsEveryMs: 50 } }), 'jobs.withdrawalsEveryMs'],
  ];
  for (const [raw, field] of cases) {
    assert.throws(
      () => parseConfig(raw, '/x'),
      (err: unknown) => err instanceof CustodyConfigError && err.field === field && err.message.startsWith(`config ${field}: `),
      JSON.stringify(raw),
    );
  }
});

test('each bad field is refused with an error naming it', () => {
  const cases: [unknown, string][] = [
    [[], '(root)'],
    [{ extra: 1 }, 'extra'],
    [{ http: { port: 70000 } }, 'http.port'],
    [{ http: { port: '80' } }, 'http.port'],
    [{ http: { host: 'a b' } }, 'http.host'],
    [{ http: { tls: true } }, 'http.tls'],
    [{ database: { dataDir: '' } }, 'database.dataDir'],
    [{ database: { postgresUrl: 'mysql://x' } }, 'database.postgresUrl'],
    [{ database: { dataDir: 'd', postgresUrl: 'postgres://h/db' } }, 'database'],
    [{ tokens: {} }, 'tokens'],
    [{ tokens: [{ name: 'x', scopes: ['admin'], sha256: SHA }] }, 'tokens[0].scopes[0]'],
    [{ tokens: [{ name: 'x', scopes: [], sha256: SHA }] }, 'tokens[0].scopes'],
    [{ tokens: [{ name: 'x', scopes: ['reader'], sha256: 'cst_plaintext' }] }, 'tokens[0].sha256'],
    [{ tokens: [{ name: 'x', scopes: ['reader'], sha256: SHA, token: 'cst_x' }] }, 'tokens[0].token'],
    [{ chains: [{ chainId: 0, rpcUrl: 'http://a' }] }, 'chains[0].chainId'],
    [{ chains: [{ chainId: 1, rpcUrl: 'ftp://a' }] }, 'chains[0].rpcUrl'],
    [{ chains: [{ chainId: 1, rpcUrl: 'http://user:pw@a' }] }, 'chains[0].rpcUrl'],
    [{ chains: [{ chainId: 1, rpcUrl: 'http://a', finality: { tag: 'latest' } }] }, 'chains[0].finality.tag'],
    [{ chains: [{ chainId: 1, rpcUrl: 'http://a', finality: { confirmations: -1 } }] }, 'chains[0].finality'],
    [{ chains: [{ chainId: 1, rpcUrl: 'http://a', tokens: ['0x12'] }] }, 'chains[0].tokens[0]'],
    [
      {
        chains: [
          { chainId: 1, rpcUrl: 'http://a' },
          { chainId: '1', rpcUrl: 'http://b' },
        ],
      },
      'chains[1].chainId',
    ],
    [{ bridge: { tokenFile: 't' } }, 'bridge.url'],
    [{ bridge: { url: 'http://b', token: 'hsm_secret' } }, 'bridge.token'],
    [{ bridge: { url: 'http://b', admin: { id: 'a' } } }, 'bridge.admin.tokenFile'],
    [{ bridge: { url: 'http://b', admin: { id: 'a b', tokenFile: 't' } } }, 'bridge.admin.id'],
    [{ bridge: { url: 'http://b', admin: { id: 'a', tokenFile: 't', token: 'x' } } }, 'bridge.admin.token'],
    [{ bridge: { url: 'http://b', depositGroup: '' } }, 'bridge.depositGroup'],
    [{ jobs: { reconcileEveryMs: 10 } }, 'jobs.reconcileEveryMs'],
    [{ jobs: { sweepEveryMs: '1000' } }, 'jobs.sweepEveryMs'],
    [{ jobs: { watchEveryMs: 1000 } }, 'jobs.watchEveryMs'],
  ];
  for (const [raw, field] of cases) {
    assert.throws(
      () => parseConfig(raw, '/x'),
      (err: unknown) => err instanceof CustodyConfigError && err.field === field && err.message.startsWith(`config ${field}: `),
      JSON.stringify(raw),
    );
  }
});

test('a file that is missing or not JSON is named in the error', () => {
  assert.throws(
    () => loadConfig('/nonexistent/custody.json'),
    (err: unknown) => err instanceof CustodyConfigError && /cannot read \/nonexistent\/custody.json: ENOENT/.test(err.message),
  );
  const dir = mkdtempSync(join(tmpdir(), 'custody-config-'));
  try {
    writeFileSync(join(dir, 'c.json'), '{ nope');
    assert.throws(
      () => loadConfig(join(dir, 'c.json')),
      (err: unknown) => err instanceof CustodyConfigError && err.message.includes('is not valid JSON'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the config path comes from the flag, then $CUSTODY_CONFIG', () => {
  assert.equal(configPath('/a.json', { CUSTODY_CONFIG: '/b.json' }), '/a.json');
  assert.equal(configPath(undefined, { CUSTODY_CONFIG: '/b.json' }), '/b.json');
  assert.throws(
    () => configPath(undefined, {}),
    (err: unknown) => err instanceof CustodyConfigError && /--config FILE or \$CUSTODY_CONFIG/.test(err.message),
  );
});

test('a PostgreSQL URL opens the server: the ledger and orchestrator schemas are migrated there', async (t) => {
  const server = await startPostgres();
  t.after(() => server.stop());
  const cfg = parseConfig({ database: { postgresUrl: server.url } }, '/x');
  assert.deepEqual(cfg.database, { kind: 'postgres', url: server.url });
  const db = await openCustodyDb(cfg.database);
  t.after(() => db.close());
  const tables = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('ledger_entries', 'orch_withdrawals')");
  assert.equal(tables.rows[0]!.n, 2);
});

test('chains[].hdDeposits: the HD account deposit addresses come from, which needs bridge.admin; a bad one is refused by name', () => {
  const chain = { chainId: 31337, rpcUrl: 'http://127.0.0.1:8545' };
  const bridge = { url: 'http://127.0.0.1:8080', admin: { id: 'ops-admin', tokenFile: 'admin.token' } };
  const cfg = parseConfig({ chains: [{ ...chain, hdDeposits: { walletId: 'hd-0123abcd', account: 2 } }], bridge }, '/x');
  assert.deepEqual(cfg.chains[0]!.hdDeposits, { walletId: 'hd-0123abcd', account: 2 });
  assert.equal(parseConfig({ chains: [chain], bridge }, '/x').chains[0]!.hdDeposits, undefined, 'absent: keys the appliance generates');
  const refused = (raw: object, field: string) =>
    assert.throws(
      () => parseConfig(raw, '/x'),
      (e: unknown) => e instanceof CustodyConfigError && e.field === field,
      field,
    );
  refused({ chains: [{ ...chain, hdDeposits: { walletId: 'hd-1', account: 0 } }] }, 'chains[0].hdDeposits');
  refused({ chains: [{ ...chain, hdDeposits: { walletId: 'hd 1', account: 0 } }], bridge }, 'chains[0].hdDeposits.walletId');
  refused({ chains: [{ ...chain, hdDeposits: { walletId: 'hd-1', account: -1 } }], bridge }, 'chains[0].hdDeposits.account');
  refused({ chains: [{ ...chain, hdDeposits: { walletId: 'hd-1', account: 2 ** 31 } }], bridge }, 'chains[0].hdDeposits.account');
  refused({ chains: [{ ...chain, hdDeposits: { walletId: 'hd-1', account: 0, index: 3 } }], bridge }, 'chains[0].hdDeposits.index');
});
