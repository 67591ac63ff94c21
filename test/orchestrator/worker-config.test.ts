// A worker process's config turned into Runtimes by the shared builder: the requester stamps with the
// request key file (so a policy that requires stamped requests takes the worker's sign requests), the
// token and risk list files are read again each round, relative paths are taken from the config's
// folder, the device id comes from the config or else from the bridge once, and a config naming both
// or neither of the token forms, or a file that cannot be read, is a WorkerConfigError naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestStatement } from '../../host-bridge/request-stamp-client.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { stampSignRequest } from '../../ledger/request-stamps.js';
import { workerRuntimeBuilder, WorkerConfigError, type WorkerConfig } from '../../orchestrator/worker-config.js';

const HOT = '0x' + '11'.repeat(20);
const RISKY = '0x' + 'AB'.repeat(20);

/** A bridge stand-in over HTTP that answers /healthz with a device id and records each bearer token. */
async function fakeBridge(): Promise<{ url: string; tokens: string[]; healthz: () => number; server: Server }> {
  const tokens: string[] = [];
  let healthz = 0;
  const server = createServer((req, res) => {
    tokens.push(String(req.headers.authorization));
    if (req.url === '/healthz') healthz++;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ deviceId: 'dev-from-bridge' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, tokens, healthz: () => healthz, server };
}

function config(over: Partial<WorkerConfig>): WorkerConfig {
  return {
    worker: 'w-1',
    databaseUrl: 'unused',
    bridge: { url: 'http://127.0.0.1:9', tokenFile: 'requester.token' },
    requesterId: 'orchestrator',
    chains: [
      {
        chainId: '31337',
        endpoints: ['http://127.0.0.1:8545'],
        hot: { keyId: '7', address: HOT },
        finality: { confirmations: 4 },
        feeCap: { gasLimit: '100000', maxFeeWei: '10000000000000000' },
        gasLimits: { native: '21000', erc20: '100000' },
        inclusionDeadlineBlocks: 3,
      },
    ],
    ...over,
  };
}

test('the worker config builds stamped Runtimes, reading its token and risk list files each round', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'worker-config-'));
  const bridge = await fakeBridge();
  const db = await openLedgerDb();
  try {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'request-key.pem'), ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'requester.token'), 'hsm_first\n');
    writeFileSync(join(dir, 'risk.txt'), `# screened\n${RISKY}\n`);
    const cfg = config({
      bridge: { url: bridge.url, tokenFile: 'requester.token' },
      requestKeyFile: 'request-key.pem',
      stampTtlSeconds: 120,
      checks: { dailyLimits: { '31337:native': '5' }, riskListFile: 'risk.txt' },
      routes: { maxAutomatic: 2 },
    });
    const build = workerRuntimeBuilder(cfg, db, dir);
    const rt = await build();
    assert.equal(rt.deviceId, 'dev-from-bridge');
    assert.equal(rt.actor, 'w-1');
    assert.equal(rt.stampTtlSeconds, 120);
    assert.deepEqual(rt.routes, { expired: 'bump', maxAutomatic: 2, maxInconsistentRounds: 3 });
    assert.deepEqual(rt.checks.dailyLimits, { '31337:native': 5n });
    assert.deepEqual([...rt.checks.riskList], [RISKY.toLowerCase()]);
    const chain = rt.chains.get('31337')!;
    assert.equal(chain.chainId, 31337n);
    assert.deepEqual(chain.feeCap, { gasLimit: 100_000n, maxFeeWei: 10n ** 16n });
    assert.equal(chain.hot.address, HOT);

    // The requester's stamp over a sign request verifies with the request key's public part.
    assert.equal(rt.requester.id, 'orchestrator');
    assert.notEqual(rt.requester.stamp, undefined);
    const body = {
      keyId: '7',
      transaction: { type: 'eip1559', chainId: '31337', nonce: '0', to: HOT, value: '1', gasLimit: '21000', maxFeePerGas: '2', maxPriorityFeePerGas: '1' },
    };
    const stamp = await stampSignRequest(rt.deviceId, { id: rt.requester.id, stamp: rt.requester.stamp! }, body, 'wd-1', rt.stampTtlSeconds, 1_000);
    assert.equal(stamp.expiresAt, 1_120);
    const statement = requestStatement({ deviceId: 'dev-from-bridge', command: 'sign.evm-tx', body, requester: 'orchestrator', requestId: 'wd-1', expiresAt: 1_120 });
    const signature = Buffer.from(stamp.signature.slice(2), 'hex');
    assert.ok(verify('sha256', statement, { key: ec.publicKey, dsaEncoding: 'der' }, signature));
    const other = requestStatement({ deviceId: 'dev-from-bridge', command: 'sign.evm-tx', body, requester: 'orchestrator', requestId: 'wd-2', expiresAt: 1_120 });
    assert.ok(!verify('sha256', other, { key: ec.publicKey, dsaEncoding: 'der' }, signature));

    // The next round: the replaced token file and risk list are read again; the device id is not asked again.
    writeFileSync(join(dir, 'requester.token'), 'hsm_second\n');
    writeFileSync(join(dir, 'risk.txt'), '');
    const next = await build();
    await next.bridge.request('GET', '/v1/keys');
    assert.deepEqual(bridge.tokens, ['Bearer hsm_first', 'Bearer hsm_second']);
    assert.equal(bridge.healthz(), 1);
    assert.equal(next.checks.riskList.size, 0);

    // A missing file is named at the round that needs it.
    rmSync(join(dir, 'request-key.pem'));
    await assert.rejects(
      async () => (await build()).requester.stamp!(statement),
      (err: unknown) => err instanceof WorkerConfigError && err.field === 'requestKeyFile' && /ENOENT/.test(err.message),
    );
    rmSync(join(dir, 'requester.token'));
    await assert.rejects(build(), (err: unknown) => err instanceof WorkerConfigError && err.field === 'bridge.tokenFile');
  } finally {
    await db.close();
    await new Promise<void>((r) => bridge.server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a configured device id is used as is; an unstamped requester, an inline token and risk list; bad token forms refused', async () => {
  const db = await openLedgerDb();
  try {
    const rt = await workerRuntimeBuilder(config({ bridge: { url: 'http://127.0.0.1:9', token: 'hsm_inline' }, deviceId: 'dev-9', checks: { riskList: [RISKY] } }), db, '/nowhere')();
    assert.equal(rt.deviceId, 'dev-9');
    assert.equal(rt.requester.stamp, undefined);
    assert.equal(rt.stampTtlSeconds, undefined);
    assert.deepEqual([...rt.checks.riskList], [RISKY.toLowerCase()]);
    for (const b of [{ url: 'http://127.0.0.1:9' }, { url: 'http://127.0.0.1:9', token: 't', tokenFile: 'f' }]) {
      assert.throws(
        () => workerRuntimeBuilder(config({ bridge: b }), db, '/nowhere'),
        (err: unknown) => err instanceof WorkerConfigError && err.field === 'bridge',
      );
    }
    assert.throws(
      () => workerRuntimeBuilder(config({ checks: { riskList: [], riskListFile: 'r.txt' } }), db, '/nowhere'),
      (err: unknown) => err instanceof WorkerConfigError && err.field === 'checks',
    );
  } finally {
    await db.close();
  }
});
