// The nonce manager: nonces in order from the chain's count, the same one for a withdrawal that asks
// again, a released nonce taken first by the next reservation, and the gaps it reports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { OrchestratorError } from '../../orchestrator/errors.js';
import { migrateOrchestrator } from '../../orchestrator/migrations.js';
import { assertNonceHeld, nonceGaps, releaseNonce, reserveNonce } from '../../orchestrator/nonce-manager.js';
import { createWithdrawal } from '../../orchestrator/withdrawal-store.js';

const HOT = { chainId: 31337n, from: '0x' + '11'.repeat(20) };
const OTHER = { chainId: 31337n, from: '0x' + '22'.repeat(20) };

let db: Db;
before(async () => {
  db = await openLedgerDb();
  await migrateOrchestrator(db);
});
after(async () => {
  await db?.close();
});

let n = 0;
async function withdrawal(): Promise<string> {
  const { withdrawal } = await createWithdrawal(db, {
    idempotencyKey: `nonce-${n++}`,
    customer: 'alice',
    chainId: 31337n,
    asset: '31337:native',
    to: '0x' + '42'.repeat(20),
    amount: 1n,
    actor: 't',
    at: new Date('2026-12-01T12:00:00Z'),
  });
  return withdrawal.id;
}
const reserve = (k: typeof HOT, id: string, confirmed: bigint) => db.transaction((tx) => reserveNonce(tx, k, id, confirmed));

test('nonces are handed out in order from the confirmed count, one per withdrawal, per address', async () => {
  const [a, b, c] = [await withdrawal(), await withdrawal(), await withdrawal()];
  assert.equal(await reserve(HOT, a, 5n), 5n);
  assert.equal(await reserve(HOT, b, 5n), 6n);
  assert.equal(await reserve(HOT, a, 5n), 5n, 'asking again returns the same nonce');
  assert.equal(await reserve(OTHER, c, 0n), 0n, 'another address has its own sequence');
  assert.equal(await reserve(HOT, c, 9n), 9n, 'the chain moved on (someone else spent 7 and 8): start at its count');
});

test('reservations made at once are distinct', async () => {
  const ids = await Promise.all(Array.from({ length: 8 }, () => withdrawal()));
  const k = { chainId: 1n, from: '0x' + '33'.repeat(20) };
  const nonces = await Promise.all(ids.map((id) => reserve(k, id, 0n)));
  assert.deepEqual(
    [...nonces].sort((x, y) => Number(x - y)),
    [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n],
  );
});

test('a released nonce is a gap until the next reservation takes it', async () => {
  const k = { chainId: 5n, from: '0x' + '44'.repeat(20) };
  const [a, b, c] = [await withdrawal(), await withdrawal(), await withdrawal()];
  await reserve(k, a, 0n);
  await reserve(k, b, 0n);
  assert.equal(await db.transaction((tx) => releaseNonce(tx, k, a)), 0n);
  assert.deepEqual((await nonceGaps(db, k, 0n)).released, [0n]);
  await assert.rejects(
    db.transaction((tx) => assertNonceHeld(tx, k, a, 0n)),
    (err: unknown) => err instanceof OrchestratorError && err.code === 'nonce_taken',
  );
  assert.equal(await reserve(k, c, 0n), 0n, 'the released nonce is reused first');
  assert.deepEqual((await nonceGaps(db, k, 0n)).released, []);
  await db.transaction((tx) => assertNonceHeld(tx, k, c, 0n));
});

test('a reserved nonce below the chain count with nothing included at it was spent elsewhere', async () => {
  const k = { chainId: 6n, from: '0x' + '55'.repeat(20) };
  const a = await withdrawal();
  await reserve(k, a, 0n);
  assert.deepEqual(await nonceGaps(db, k, 1n), { released: [], spentElsewhere: [0n], highest: 0n });
  assert.deepEqual(await nonceGaps(db, k, 0n), { released: [], spentElsewhere: [], highest: 0n });
});
