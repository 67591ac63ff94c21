// Withdrawals and attempts in the database: idempotent creation, the illegal-transition refusal that
// writes nothing, the transition log (cause, actor, trace id; append-only), filters and pages, and the
// canonical attempt at a nonce.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { attemptsAtNonce, canonicalAttempt, createAttempt, moveAttempt, recordSigned } from '../../orchestrator/attempt-store.js';
import { OrchestratorError } from '../../orchestrator/errors.js';
import { migrateOrchestrator } from '../../orchestrator/migrations.js';
import { createWithdrawal, getWithdrawal, listWithdrawals, moveWithdrawal, withdrawalHistory, type WithdrawalRequest } from '../../orchestrator/withdrawal-store.js';

const TO = '0x' + '42'.repeat(20);
const HOT = '0x' + '11'.repeat(20);

let db: Db;
before(async () => {
  db = await openLedgerDb();
  assert.deepEqual(await migrateOrchestrator(db), [1, 2]);
  assert.deepEqual(await migrateOrchestrator(db), [], 'a second run applies nothing');
});
after(async () => {
  await db?.close();
});

const req = (key: string, over: Partial<WithdrawalRequest> = {}): WithdrawalRequest => ({
  idempotencyKey: key,
  customer: 'alice',
  chainId: 31337n,
  asset: '31337:native',
  to: TO,
  amount: 10n ** 18n,
  actor: 'orchestrator-test',
  at: new Date('2026-12-01T12:00:00Z'),
  ...over,
});
const code = (c: string) => (err: unknown) => err instanceof OrchestratorError && err.code === c;

test('the same request twice with one idempotency key is one withdrawal', async () => {
  const first = await createWithdrawal(db, req('k-same'));
  assert.equal(first.duplicate, false);
  assert.equal(first.withdrawal.state, 'requested');
  const again = await createWithdrawal(db, req('k-same', { to: TO.toUpperCase().replace('0X', '0x') }));
  assert.equal(again.duplicate, true);
  assert.equal(again.withdrawal.id, first.withdrawal.id);
  const n = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM orch_withdrawals WHERE idempotency_key = 'k-same'");
  assert.equal(n.rows[0]!.n, 1);
  await assert.rejects(createWithdrawal(db, req('k-same', { amount: 2n })), code('idempotency_conflict'));
});

test('two creations racing with one key make one withdrawal', async () => {
  const [a, b] = await Promise.all([createWithdrawal(db, req('k-race')), createWithdrawal(db, req('k-race'))]);
  assert.equal(a.withdrawal.id, b.withdrawal.id);
  assert.deepEqual([a.duplicate, b.duplicate].sort(), [false, true]);
});

test('bad requests are typed refusals naming the field, and write nothing', async () => {
  const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orch_withdrawals')).rows[0]!.n;
  const cases: [Partial<WithdrawalRequest>, string][] = [
    [{ amount: 0n }, 'amount'],
    [{ to: '0x1234' }, 'to'],
    [{ asset: '1:native' }, 'asset'],
    [{ customer: 'a b' }, 'customer'],
    [{ idempotencyKey: '' }, 'idempotencyKey'],
  ];
  for (const [over, field] of cases) {
    await assert.rejects(createWithdrawal(db, req('k-bad', over)), (err: unknown) => err instanceof OrchestratorError && err.code === 'bad_request' && err.details?.field === field);
  }
  assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orch_withdrawals')).rows[0]!.n, before);
});

test('an illegal transition is refused and writes nothing; a legal one is logged with its cause and actor first', async () => {
  const { withdrawal: w } = await createWithdrawal(db, req('k-move'));
  await assert.rejects(
    db.transaction((tx) => moveWithdrawal(tx, w.id, 'broadcasted', 'attempt_sent', { actor: 'bug' })),
    code('illegal_transition'),
  );
  assert.equal((await getWithdrawal(db, w.id))!.state, 'requested');
  assert.equal((await withdrawalHistory(db, w.id)).length, 1);

  await db.transaction((tx) => moveWithdrawal(tx, w.id, 'policy_checked', 'checks_passed', { actor: 'worker-1', detail: { reserved: '1' } }));
  const history = await withdrawalHistory(db, w.id);
  assert.deepEqual(
    history.map((h) => [h.from, h.to, h.cause, h.actor]),
    [
      [null, 'requested', 'created', 'orchestrator-test'],
      ['requested', 'policy_checked', 'checks_passed', 'worker-1'],
    ],
  );
  assert.ok(history.every((h) => h.traceId === w.traceId));
  assert.deepEqual(history[1]!.detail, { reserved: '1' });

  // A move whose transaction rolls back leaves neither the state nor the log row.
  await assert.rejects(
    db.transaction(async (tx) => {
      await moveWithdrawal(tx, w.id, 'signing', 'sign_requested', { actor: 'worker-1' });
      throw new Error('the bridge call failed');
    }),
  );
  assert.equal((await getWithdrawal(db, w.id))!.state, 'policy_checked');
  assert.equal((await withdrawalHistory(db, w.id)).length, 2);

  await assert.rejects(db.query('UPDATE orch_withdrawal_transitions SET actor = $1', ['mallory']), /append-only/);
  await assert.rejects(db.query('DELETE FROM orch_withdrawal_transitions'), /append-only/);
});

test('a finished withdrawal cannot be revived', async () => {
  const { withdrawal: w } = await createWithdrawal(db, req('k-cancel'));
  await db.transaction((tx) => moveWithdrawal(tx, w.id, 'cancelled', 'cancel', { actor: 'alice' }));
  await assert.rejects(
    db.transaction((tx) => moveWithdrawal(tx, w.id, 'policy_checked', 'checks_passed', { actor: 'worker' })),
    code('illegal_transition'),
  );
  await assert.rejects(
    db.transaction((tx) => moveWithdrawal(tx, 'wd_missing', 'cancelled', 'cancel', { actor: 'x' })),
    code('not_found'),
  );
});

test('listing filters by customer and state and pages by id', async () => {
  for (let i = 0; i < 5; i++) await createWithdrawal(db, req(`k-list-${i}`, { customer: 'lister' }));
  const page1 = await listWithdrawals(db, { customer: 'lister', limit: 3 });
  const page2 = await listWithdrawals(db, { customer: 'lister', limit: 3, after: page1[2]!.id });
  assert.equal(page1.length, 3);
  assert.equal(page2.length, 2);
  assert.equal(new Set([...page1, ...page2].map((w) => w.id)).size, 5);
  assert.equal((await listWithdrawals(db, { customer: 'lister', state: 'cancelled' })).length, 0);
  assert.ok((await listWithdrawals(db, { state: 'cancelled' })).every((w) => w.state === 'cancelled'));
  await assert.rejects(listWithdrawals(db, { limit: 0 }), code('bad_request'));
});

test('attempts at one nonce: the included one is canonical; an illegal attempt move is refused', async () => {
  const { withdrawal: w } = await createWithdrawal(db, req('k-attempts'));
  const [a1, a2] = await db.transaction(async (tx) => [
    await createAttempt(tx, { withdrawalId: w.id, chainId: 31337n, from: HOT, nonce: 7n, kind: 'transfer', maxFeePerGas: 100n, actor: 'worker' }),
    await createAttempt(tx, { withdrawalId: w.id, chainId: 31337n, from: HOT, nonce: 7n, kind: 'transfer', maxFeePerGas: 110n, actor: 'worker' }),
  ]);
  assert.equal(await canonicalAttempt(db, 31337n, HOT, 7n), null);
  await assert.rejects(
    db.transaction((tx) => moveAttempt(tx, a1!.id, 'included', 'receipt', { actor: 'tracker' })),
    code('illegal_transition'),
  );
  await db.transaction(async (tx) => {
    await recordSigned(tx, a1!.id, { txHash: '0x' + 'a1'.repeat(32), rawTx: '0x02' }, 'worker');
    await moveAttempt(tx, a1!.id, 'sent', 'rpc_accepted', { actor: 'broadcaster' });
    await recordSigned(tx, a2!.id, { txHash: '0x' + 'a2'.repeat(32), rawTx: '0x02' }, 'worker');
    await moveAttempt(tx, a2!.id, 'sent', 'rpc_accepted', { actor: 'broadcaster' });
    await moveAttempt(tx, a2!.id, 'included', 'receipt', { actor: 'tracker' });
    await moveAttempt(tx, a1!.id, 'replaced', 'other_included', { actor: 'tracker' });
  });
  assert.equal((await canonicalAttempt(db, 31337n, HOT, 7n))?.id, a2!.id);
  assert.deepEqual(
    (await attemptsAtNonce(db, 31337n, HOT, 7n)).map((a) => a.state),
    ['replaced', 'included'],
  );
});
