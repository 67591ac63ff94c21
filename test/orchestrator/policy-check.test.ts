// Step W0 → W1 on the embedded database: the checks pass and the ledger reserves the amount in the
// same transaction; refusals (screening, the 24-hour limit, the travel rule, an Available balance too
// small) move the withdrawal to `rejected` with their reasons and reserve nothing; the step is idempotent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { customerAccount } from '../../ledger/accounts.js';
import { accountBalance } from '../../ledger/balances.js';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import type { CheckConfig } from '../../orchestrator/checks.js';
import { migrateOrchestrator } from '../../orchestrator/migrations.js';
import { runPolicyCheck } from '../../orchestrator/policy-check.js';
import { createWithdrawal, withdrawalHistory } from '../../orchestrator/withdrawal-store.js';
import { IVMS } from '../helpers/ivms101.js';
import { creditFinalDeposit } from '../helpers/ledger-deposit.js';

const ETH = '31337:native';
const HOT = '0x' + '11'.repeat(20);
const TO = '0x' + '42'.repeat(20);
const SCREENED = '0x' + 'dd'.repeat(20);
const cfg: CheckConfig = { dailyLimits: { [ETH]: 1000n }, riskList: new Set([SCREENED]), travelRuleAbove: { [ETH]: 500n } };
const T0 = new Date('2026-12-01T12:00:00Z');

let db: Db;
before(async () => {
  db = await openLedgerDb();
  await migrateOrchestrator(db);
});
after(async () => {
  await db?.close();
});

/** Credits `amount` to the customer's Available (a deposit, included and final). */
const fund = (customer: string, amount: bigint) => creditFinalDeposit(db, { customer, custody: HOT, asset: ETH, amount, key: `fund-${customer}` });

const balance = async (customer: string) => {
  const b = await accountBalance(db, customerAccount(customer, ETH));
  return { available: b?.available ?? 0n, reserved: b?.reserved ?? 0n };
};
let k = 0;
const ask = (customer: string, amount: bigint, over: { to?: string; travelRule?: unknown; at?: Date } = {}) =>
  createWithdrawal(db, {
    idempotencyKey: `pc-${k++}`,
    customer,
    chainId: 31337n,
    asset: ETH,
    to: over.to ?? TO,
    amount,
    actor: 'api',
    at: over.at ?? T0,
    ...(over.travelRule === undefined ? {} : { travelRule: over.travelRule }),
  });

test('passing the checks reserves the amount in the same step, once', async () => {
  await fund('carol', 800n);
  const { withdrawal: w } = await ask('carol', 300n);
  const r = await runPolicyCheck(db, w.id, cfg, { actor: 'worker-1' });
  assert.equal(r.withdrawal.state, 'policy_checked');
  assert.deepEqual(await balance('carol'), { available: 500n, reserved: 300n });
  const again = await runPolicyCheck(db, w.id, cfg, { actor: 'worker-2' });
  assert.equal(again.withdrawal.state, 'policy_checked');
  assert.deepEqual(await balance('carol'), { available: 500n, reserved: 300n }, 'running the step again reserves nothing more');
  const last = (await withdrawalHistory(db, w.id)).at(-1)!;
  assert.equal(last.cause, 'checks_passed');
  assert.equal(typeof (last.detail as { ledgerEntry: unknown }).ledgerEntry, 'number');
});

test('an Available balance too small is a rejection that reserves nothing', async () => {
  await fund('dave', 100n);
  const { withdrawal: w } = await ask('dave', 101n);
  const r = await runPolicyCheck(db, w.id, cfg, { actor: 'worker-1' });
  assert.equal(r.withdrawal.state, 'rejected');
  assert.deepEqual(
    r.reasons.map((x) => x.code),
    ['insufficient_funds'],
  );
  assert.deepEqual(await balance('dave'), { available: 100n, reserved: 0n });
});

test('two withdrawals that together overspend: the second is rejected', async () => {
  await fund('erin', 100n);
  const a = await ask('erin', 60n);
  const b = await ask('erin', 60n);
  const [ra, rb] = await Promise.all([runPolicyCheck(db, a.withdrawal.id, cfg, { actor: 'w1' }), runPolicyCheck(db, b.withdrawal.id, cfg, { actor: 'w2' })]);
  assert.deepEqual([ra.withdrawal.state, rb.withdrawal.state].sort(), ['policy_checked', 'rejected']);
  assert.deepEqual(await balance('erin'), { available: 40n, reserved: 60n });
});

test('the 24-hour limit counts what passed in the window before the request, not after it or a day earlier', async () => {
  await fund('frank', 5000n);
  const day = 24 * 3600 * 1000;
  const old = await ask('frank', 400n, { at: new Date(T0.getTime() - day - 1000) });
  await runPolicyCheck(db, old.withdrawal.id, cfg, { actor: 'w' });
  const first = await ask('frank', 400n);
  assert.equal((await runPolicyCheck(db, first.withdrawal.id, cfg, { actor: 'w' })).withdrawal.state, 'policy_checked');
  const second = await ask('frank', 400n, { at: new Date(T0.getTime() + 1000) });
  assert.equal((await runPolicyCheck(db, second.withdrawal.id, cfg, { actor: 'w' })).withdrawal.state, 'policy_checked');
  const third = await ask('frank', 201n, { at: new Date(T0.getTime() + 2000) });
  const r = await runPolicyCheck(db, third.withdrawal.id, cfg, { actor: 'w' });
  assert.deepEqual(
    r.reasons.map((x) => x.code),
    ['daily_limit'],
  );
  const later = await ask('frank', 201n, { at: new Date(T0.getTime() + day + 500) });
  assert.equal((await runPolicyCheck(db, later.withdrawal.id, cfg, { actor: 'w' })).withdrawal.state, 'policy_checked', 'the first two have left the window');
});

test('screening and the travel rule are refused before anything is reserved; a valid payload passes with its digest', async () => {
  await fund('gina', 5000n);
  const screened = await runPolicyCheck(db, (await ask('gina', 10n, { to: SCREENED })).withdrawal.id, cfg, { actor: 'w' });
  assert.deepEqual(
    screened.reasons.map((x) => x.code),
    ['screened_address'],
  );
  const noTravel = await runPolicyCheck(db, (await ask('gina', 600n)).withdrawal.id, cfg, { actor: 'w' });
  assert.deepEqual(
    noTravel.reasons.map((x) => x.code),
    ['travel_rule_required'],
  );
  assert.deepEqual(await balance('gina'), { available: 5000n, reserved: 0n });
  const ok = await ask('gina', 600n, { travelRule: IVMS });
  assert.match(ok.withdrawal.travelRuleHash ?? '', /^0x[0-9a-f]{64}$/);
  assert.equal((await runPolicyCheck(db, ok.withdrawal.id, cfg, { actor: 'w' })).withdrawal.state, 'policy_checked');
});
