// The service assembled by startCustody: a module's route and periodic job plug in, the job runs on the
// injected clock and its failure shows in /healthz and the log with the chain's RPC URL (and its API
// key) replaced; an over-long body is refused with 413 before it is read; close stops the jobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../custody/config.js';
import { ManualScheduler } from '../../custody/jobs.js';
import { startCustody } from '../../custody/main.js';
import type { CustodyModule } from '../../custody/module.js';
import { BODY_LIMIT } from '../../custody/app.js';
import { OPERATOR_TOKEN, READER_TOKEN, TOKEN_RECORDS } from './fixtures.js';

const RPC = 'https://rpc.example.invalid/v3/k3y-0123456789abcdef';

test('a module registers a route and a job; a failing job is reported without the secret in its RPC URL', async () => {
  const cfg = parseConfig({ http: { port: 0 }, tokens: TOKEN_RECORDS, chains: [{ chainId: 1, rpcUrl: RPC }] }, '/x');
  const clock = new ManualScheduler(0);
  const logged: string[] = [];
  let chainsSeen: bigint[] = [];
  let runs = 0;
  const probe: CustodyModule = {
    name: 'probe',
    routes: (app, r) => app.get('/v1/probe', r.readers, (c) => c.json({ runs })),
    paths: { '/v1/probe': { get: { operationId: 'probe', security: [{ bearer: ['reader'] }], responses: { '200': { description: 'runs' } } } } },
    jobs: (svc) => {
      chainsSeen = svc.chains.map((c) => c.chainId);
      return [
        {
          name: 'probe',
          everyMs: 1_000,
          run: async () => {
            runs++;
            if (runs === 1) throw new Error(`HTTP request failed. URL: ${RPC} (and path ${new URL(RPC).pathname})`);
          },
        },
      ];
    },
  };
  const svc = await startCustody(cfg, { modules: [probe], scheduler: clock, log: (l) => logged.push(l) });
  try {
    assert.deepEqual(chainsSeen, [1n]);
    clock.advance(1_000);
    await svc.jobs.settled();
    const health = (await (await svc.app.request('/healthz')).json()) as { jobs: { name: string; runs: number; failures: number; lastError: string }[] };
    assert.equal(health.jobs[0]!.runs, 1);
    assert.equal(health.jobs[0]!.failures, 1);
    assert.equal(health.jobs[0]!.lastError, 'Error: HTTP request failed. URL: <rpc url of chain 1> (and path <rpc url of chain 1>)');
    assert.equal(logged.length, 1);
    assert.ok(!logged[0]!.includes('k3y-0123456789abcdef') && logged[0]!.includes('job probe failed'));
    clock.advance(1_000);
    await svc.jobs.settled();
    const probeAnswer = await svc.app.request('/v1/probe', { headers: { Authorization: `Bearer ${READER_TOKEN}` } });
    assert.deepEqual(await probeAnswer.json(), { runs: 2 });
    // The real server answers too.
    const res = await fetch(`${svc.url}/v1/probe`, { headers: { Authorization: `Bearer ${READER_TOKEN}` } });
    assert.equal(res.status, 200);
  } finally {
    await svc.close();
  }
  assert.equal(clock.pending(), 0, 'close stops the jobs');
});

test('a body over the limit is a 413 problem', async () => {
  const svc = await startCustody(parseConfig({ http: { port: 0 }, tokens: TOKEN_RECORDS }, '/x'), { modules: [], scheduler: new ManualScheduler() });
  try {
    const res = await svc.app.request('/v1/custody-addresses', {
      method: 'POST',
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}`, 'Content-Type': 'application/json', 'Content-Length': String(BODY_LIMIT + 1) },
      body: 'x'.repeat(BODY_LIMIT + 1),
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('Content-Type'), 'application/problem+json');
    assert.equal(((await res.json()) as { code: string }).code, 'body_too_large');
  } finally {
    await svc.close();
  }
});
