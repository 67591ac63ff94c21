// The withdrawal API over HTTP: idempotent creation by the Idempotency-Key header (201, then 200; 422
// for a reused key; a quoted structured-field key is the same key), reads with filters and pages, the
// transition log naming who asked, cancel before broadcast returning the reservation, the event stream,
// and the scopes (a reader cannot create).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openLedgerDb } from '../../../ledger/open-ledger.js';
import type { Db } from '../../../ledger/db.js';
import { accountBalance } from '../../../ledger/balances.js';
import { customerAccount } from '../../../ledger/accounts.js';
import { CustodyTokens } from '../../../custody/auth.js';
import { createCustodyApp } from '../../../custody/app.js';
import { withdrawalsModule } from '../../../custody/routes/withdrawals.js';
import type { CustodyApp } from '../../../custody/routes/context.js';
import { migrateOrchestrator } from '../../../orchestrator/migrations.js';
import { runPolicyCheck } from '../../../orchestrator/policy-check.js';
import { moveWithdrawal } from '../../../orchestrator/withdrawal-store.js';
import { deposit, ETH, OPERATOR_TOKEN, READER_TOKEN, REQUESTER_TOKEN, TOKEN_RECORDS } from '../fixtures.js';

const TO = '0x' + '42'.repeat(20);
let db: Db;
let app: CustodyApp;
before(async () => {
  db = await openLedgerDb();
  await migrateOrchestrator(db);
  await deposit(db, 'alice', 1000n, 'wd-fund-alice');
  app = createCustodyApp({ db, tokens: new CustodyTokens(TOKEN_RECORDS), modules: [withdrawalsModule({ now: () => new Date('2026-12-01T12:00:00Z') })] });
});
after(async () => {
  await db?.close();
});

async function call(method: string, path: string, token: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (key !== undefined) headers['Idempotency-Key'] = key;
  const res = await app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, type: res.headers.get('Content-Type'), body: (await res.json()) as Record<string, unknown> };
}

const ask = { customer: 'alice', chainId: '31337', asset: ETH, to: TO, amount: '300' };

test('the same request twice with one Idempotency-Key is one withdrawal; a quoted key is the same key; another body is 422', async () => {
  const first = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, ask, 'payout-1');
  assert.equal(first.status, 201);
  assert.equal(first.body.state, 'requested');
  assert.equal(first.body.stateCode, 'W0');
  assert.equal(first.body.createdBy, 'payouts-service');
  const again = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, ask, '"payout-1"');
  assert.equal(again.status, 200);
  assert.equal(again.body.id, first.body.id);
  const other = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, { ...ask, amount: '301' }, 'payout-1');
  assert.equal(other.status, 422);
  assert.equal(other.type, 'application/problem+json');
  assert.equal(other.body.code, 'idempotency_conflict');
  const list = await call('GET', '/v1/withdrawals?customer=alice', READER_TOKEN);
  assert.equal((list.body.withdrawals as unknown[]).length, 1);
});

test('bad input is a 400 problem naming the field; no key is refused; a reader cannot create', async () => {
  const noKey = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, ask);
  assert.equal(noKey.status, 400);
  assert.equal(noKey.body.field, 'Idempotency-Key');
  const badAmount = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, { ...ask, amount: '-5' }, 'payout-bad');
  assert.deepEqual([badAmount.status, badAmount.body.field], [400, 'amount']);
  const extra = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, { ...ask, fee: '1' }, 'payout-extra');
  assert.deepEqual([extra.status, extra.body.field], [400, 'fee']);
  const wrongChain = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, { ...ask, chainId: '1' }, 'payout-chain');
  assert.deepEqual([wrongChain.status, wrongChain.body.field], [400, 'asset']);
  const reader = await call('POST', '/v1/withdrawals', READER_TOKEN, ask, 'payout-reader');
  assert.equal(reader.status, 403);
  const missing = await call('GET', '/v1/withdrawals/wd_00000000-0000-0000-0000-000000000000', READER_TOKEN);
  assert.deepEqual([missing.status, missing.body.code], [404, 'not_found']);
});

test('cancel before broadcast returns the reservation to Available, logs who cancelled, and a second cancel is the same answer', async () => {
  const created = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, { ...ask, amount: '200' }, 'payout-cancel');
  const id = created.body.id as string;
  await runPolicyCheck(db, id, { dailyLimits: {}, riskList: new Set(), travelRuleAbove: {} }, { actor: 'worker' });
  const reserved = await accountBalance(db, customerAccount('alice', ETH));
  assert.equal(reserved?.reserved, 200n);
  const cancelled = await call('POST', `/v1/withdrawals/${id}/cancel`, OPERATOR_TOKEN);
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.body.state, 'cancelled');
  const after = await accountBalance(db, customerAccount('alice', ETH));
  assert.deepEqual([after?.available, after?.reserved], [1000n, 0n]);
  const again = await call('POST', `/v1/withdrawals/${id}/cancel`, OPERATOR_TOKEN);
  assert.equal(again.body.state, 'cancelled');
  const detail = await call('GET', `/v1/withdrawals/${id}`, READER_TOKEN);
  const history = detail.body.history as { to: string; cause: string; actor: string }[];
  assert.deepEqual(
    history.map((h) => [h.to, h.cause, h.actor]),
    [
      ['requested', 'created', 'payouts-service'],
      ['policy_checked', 'checks_passed', 'worker'],
      ['cancelled', 'cancel', 'operator'],
    ],
  );
});

test('the event stream returns every transition once, after a cursor', async () => {
  const all = await call('GET', '/v1/withdrawal-events?limit=1000', READER_TOKEN);
  const events = all.body.events as { to: string; withdrawalId: string }[];
  assert.ok(events.length >= 4);
  const firstPage = await call('GET', '/v1/withdrawal-events?limit=2', READER_TOKEN);
  const rest = await call('GET', `/v1/withdrawal-events?after=${firstPage.body.next as string}&limit=1000`, READER_TOKEN);
  assert.equal((firstPage.body.events as unknown[]).length + (rest.body.events as unknown[]).length, events.length);
  const bad = await call('GET', '/v1/withdrawal-events?after=x', READER_TOKEN);
  assert.equal(bad.status, 400);
});

test('the exception queue lists a withdrawal an operator must decide, and only an operator resolves it, with a note', async () => {
  const created = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, { ...ask, amount: '100' }, 'payout-queue');
  const id = created.body.id as string;
  await runPolicyCheck(db, id, { dailyLimits: {}, riskList: new Set(), travelRuleAbove: {} }, { actor: 'worker' });
  // The worker could not price it under the cap and handed it over (as prepareFirstAttempt does).
  await db.transaction(async (tx) => {
    await moveWithdrawal(tx, id, 'signing', 'sign_requested', { actor: 'worker' });
    await moveWithdrawal(tx, id, 'operator', 'signing_unknown', { actor: 'worker', detail: { reason: 'fee_above_cap' } });
  });
  const queue = await call('GET', '/v1/withdrawal-exceptions', READER_TOKEN);
  const item = (queue.body.exceptions as { id: string; reason: unknown }[]).find((e) => e.id === id);
  assert.deepEqual(item?.reason, { reason: 'fee_above_cap' });
  const byRequester = await call('POST', `/v1/withdrawals/${id}/resolve`, REQUESTER_TOKEN, { action: 'fail', note: 'x' });
  assert.equal(byRequester.status, 403);
  const noNote = await call('POST', `/v1/withdrawals/${id}/resolve`, OPERATOR_TOKEN, { action: 'fail' });
  assert.deepEqual([noNote.status, noNote.body.field], [400, 'note']);
  const badAction = await call('POST', `/v1/withdrawals/${id}/resolve`, OPERATOR_TOKEN, { action: 'delete', note: 'x' });
  assert.deepEqual([badAction.status, badAction.body.field], [400, 'action']);
  const failed = await call('POST', `/v1/withdrawals/${id}/resolve`, OPERATOR_TOKEN, { action: 'fail', note: 'fees stay above the cap today' });
  assert.equal(failed.body.state, 'failed');
  const alice = await accountBalance(db, customerAccount('alice', ETH));
  assert.equal(alice?.reserved, 0n, 'the reservation went back to Available');
  const again = await call('POST', `/v1/withdrawals/${id}/resolve`, OPERATOR_TOKEN, { action: 'retry', note: 'x' });
  assert.deepEqual([again.status, again.body.code], [409, 'illegal_transition']);
  const detail = await call('GET', `/v1/withdrawals/${id}`, READER_TOKEN);
  const last = (detail.body.history as { cause: string; actor: string; detail: { note: string } }[]).at(-1)!;
  assert.deepEqual([last.cause, last.actor, last.detail.note], ['operator_fail', 'operator', 'fees stay above the cap today']);
});

test('cancel after broadcast is a request the worker turns into 0 to self (202, who asked is kept); once included it is refused (409)', async () => {
  const sentOne = async (key: string, upTo: 'broadcasted' | 'included') => {
    const created = await call('POST', '/v1/withdrawals', REQUESTER_TOKEN, { ...ask, amount: '10' }, key);
    const id = created.body.id as string;
    await runPolicyCheck(db, id, { dailyLimits: {}, riskList: new Set(), travelRuleAbove: {} }, { actor: 'worker' });
    await db.transaction(async (tx) => {
      await moveWithdrawal(tx, id, 'signing', 'sign_requested', { actor: 'worker' });
      await moveWithdrawal(tx, id, 'signed', 'appliance_signed', { actor: 'worker' });
      await moveWithdrawal(tx, id, 'broadcasted', 'attempt_sent', { actor: 'worker' });
      if (upTo === 'included') await moveWithdrawal(tx, id, 'included', 'attempt_included', { actor: 'worker' });
    });
    return id;
  };
  const id = await sentOne('payout-sent', 'broadcasted');
  const badBody = await call('POST', `/v1/withdrawals/${id}/cancel`, REQUESTER_TOKEN, { note: 'x', force: true });
  assert.deepEqual([badBody.status, badBody.body.field], [400, 'force']);
  const asked = await call('POST', `/v1/withdrawals/${id}/cancel`, REQUESTER_TOKEN, { note: 'the customer changed their mind' });
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  assert.equal(asked.body.state, 'broadcasted', 'nothing changes until the chain decides');
  const request = asked.body.cancelRequest as { actor: string; note: string; at: string };
  assert.deepEqual([request.actor, request.note], ['payouts-service', 'the customer changed their mind']);
  const again = await call('POST', `/v1/withdrawals/${id}/cancel`, OPERATOR_TOKEN);
  assert.equal(again.status, 202);
  assert.deepEqual(again.body.cancelRequest, request, 'the first request stands; a second asks nothing new');
  const detail = await call('GET', `/v1/withdrawals/${id}`, READER_TOKEN);
  assert.deepEqual(detail.body.cancelRequest, request);
  const included = await sentOne('payout-included', 'included');
  const late = await call('POST', `/v1/withdrawals/${included}/cancel`, REQUESTER_TOKEN);
  assert.equal(late.status, 409, JSON.stringify(late.body));
  assert.equal((await call('GET', `/v1/withdrawals/${included}`, READER_TOKEN)).body.cancelRequest, null);
});
