// The custody service's GET /metrics (no token): process metrics, requests by route and status with
// their durations in seconds, each periodic job's runs and failures by name, and withdrawals by state;
// promtool accepts the text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import type { Db } from '../../ledger/db.js';
import { CustodyTokens } from '../../custody/auth.js';
import { createCustodyApp } from '../../custody/app.js';
import { JobRunner, ManualScheduler } from '../../custody/jobs.js';
import { withdrawalsModule } from '../../custody/routes/withdrawals.js';
import type { CustodyApp } from '../../custody/routes/context.js';
import { migrateOrchestrator } from '../../orchestrator/migrations.js';
import { parseSamples, promtoolCheck, sampleValue } from '../helpers/prometheus-text.js';
import { deposit, ETH, OPERATOR_TOKEN, READER_TOKEN, REQUESTER_TOKEN, TOKEN_RECORDS } from './fixtures.js';

const TO = '0x' + '42'.repeat(20);
let db: Db;
let app: CustodyApp;
const scheduler = new ManualScheduler(1_800_000_000_000);
const runner = new JobRunner(scheduler);

before(async () => {
  db = await openLedgerDb();
  await migrateOrchestrator(db);
  await deposit(db, 'alice', 1000n, 'metrics-fund-alice');
  let calls = 0;
  runner.add({ name: 'reconcile', everyMs: 60_000, run: async () => {} });
  runner.add({
    name: 'watcher:31337',
    everyMs: 5_000,
    run: async () => {
      if (calls++ % 2 === 1) throw new Error('node unreachable');
    },
  });
  app = createCustodyApp({ db, tokens: new CustodyTokens(TOKEN_RECORDS), modules: [withdrawalsModule({ now: () => new Date('2026-12-01T12:00:00Z') })], jobs: () => runner.status() });
});
after(async () => {
  await runner.stop();
  await db?.close();
});

async function call(method: string, path: string, token: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  if (key !== undefined) headers['Idempotency-Key'] = key;
  return app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

test('GET /metrics: requests and durations by route, job runs and failures by job, withdrawals by state; promtool accepts it', async () => {
  const ask = { customer: 'alice', chainId: '31337', asset: ETH, to: TO, amount: '100' };
  assert.equal((await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, ask, 'm-1')).status, 201);
  assert.equal((await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, { ...ask, amount: '200' }, 'm-2')).status, 201);
  const second = (await (await call('GET', '/v1/withdrawals?customer=alice', READER_TOKEN)).json()) as { withdrawals: { id: string; amount: string }[] };
  const cancelled = second.withdrawals.find((w) => w.amount === '200')!;
  assert.equal((await call('POST', `/v1/withdrawals/${cancelled.id}/cancel`, OPERATOR_TOKEN, {})).status, 200);
  assert.equal((await call('GET', '/v1/withdrawals', 'cst_not_a_token')).status, 401);
  await runner.runNow('reconcile');
  await runner.runNow('watcher:31337');
  await runner.runNow('watcher:31337'); // the second run fails

  const res = await app.request('/metrics');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  const s = parseSamples(text);

  assert.equal(sampleValue(s, 'custody_http_requests_total', { route: '/v1/withdrawals', status: '201' }), 2);
  assert.equal(sampleValue(s, 'custody_http_requests_total', { route: '/v1/withdrawals', status: '401' }), 1);
  assert.equal(sampleValue(s, 'custody_http_request_duration_seconds_count', { method: 'POST', route: '/v1/withdrawals', status: '201' }), 2);
  assert.equal(sampleValue(s, 'custody_http_request_duration_seconds_bucket', { method: 'POST', route: '/v1/withdrawals', status: '201', le: '+Inf' }), 2);
  assert.ok(sampleValue(s, 'custody_http_request_duration_seconds_sum', { method: 'POST', route: '/v1/withdrawals', status: '201' })! < 60, 'in seconds');

  assert.equal(sampleValue(s, 'custody_job_runs_total', { job: 'reconcile' }), 1);
  assert.equal(sampleValue(s, 'custody_job_failures_total', { job: 'reconcile' }), 0);
  assert.equal(sampleValue(s, 'custody_job_runs_total', { job: 'watcher:31337' }), 2);
  assert.equal(sampleValue(s, 'custody_job_failures_total', { job: 'watcher:31337' }), 1);
  assert.equal(sampleValue(s, 'custody_job_running', { job: 'reconcile' }), 0);
  assert.equal(sampleValue(s, 'custody_job_last_end_time_seconds', { job: 'reconcile' }), 1_800_000_000);

  assert.equal(sampleValue(s, 'custody_withdrawals', { state: 'requested' }), 1);
  assert.equal(sampleValue(s, 'custody_withdrawals', { state: 'cancelled' }), 1);
  assert.equal(sampleValue(s, 'custody_withdrawals', { state: 'broadcasted' }), 0);
  assert.ok(sampleValue(s, 'process_cpu_user_seconds_total')! >= 0);

  const checked = await promtoolCheck(text);
  assert.equal(checked.output, '', 'promtool reports no problem');
  assert.equal(checked.code, 0);
});
