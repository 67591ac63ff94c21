// Rolling-window usage from running totals: equals a direct sum over the window, whatever the history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpendLedger } from '../../../appliance/state/spend-ledger.js';
import { sealedDb } from '../../helpers/sealed-db.js';

test('window usage equals the sum of reservations at or after `since`', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ dt: fc.integer({ min: 0, max: 50 }), amount: fc.bigInt({ min: 0n, max: 10n ** 30n }), key: fc.constantFrom('k1', 'k2') }), { maxLength: 60 }),
      fc.integer({ min: 0, max: 3000 }),
      (ops, since) => {
        const { db, seal } = sealedDb();
        const ledger = new SpendLedger(db, seal);
        let t = 1000;
        const rows: { key: string; at: number; amount: bigint }[] = [];
        ops.forEach((op, i) => {
          t += op.dt;
          seal.transaction(() => ledger.reserve(op.key, 'a', op.amount, t, `r${i}`));
          rows.push({ key: op.key, at: t, amount: op.amount });
        });
        for (const key of ['k1', 'k2']) {
          const inWindow = rows.filter((r) => r.key === key && r.at >= since);
          const u = ledger.usage(key, 'a', since);
          assert.equal(
            u.amount,
            inWindow.reduce((s, r) => s + r.amount, 0n),
          );
          assert.equal(u.count, inWindow.length);
        }
        db.close();
      },
    ),
    { numRuns: 200, seed: 42 },
  );
});

test('a clock that steps back never makes totals go backwards', () => {
  const { db, seal } = sealedDb();
  const ledger = new SpendLedger(db, seal);
  seal.transaction(() => ledger.reserve('k', 'a', 5n, 2000, 'r1'));
  seal.transaction(() => ledger.reserve('k', 'a', 7n, 1500, 'r2')); // recorded at 2000, not 1500
  assert.deepEqual(ledger.usage('k', 'a', 1999), { amount: 12n, count: 2 });
  assert.deepEqual(ledger.usage('k', 'a', 2001), { amount: 0n, count: 0 });
  assert.equal(ledger.reservationsFor('r2'), 1);
  db.close();
});

test('property: spend counters never decrease inside a window as reservations are added', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ dt: fc.integer({ min: 0, max: 30 }), amount: fc.bigInt({ min: 0n, max: 10n ** 24n }) }), { minLength: 1, maxLength: 50 }), (ops) => {
      const { db, seal } = sealedDb();
      const ledger = new SpendLedger(db, seal);
      const since = 1000;
      let t = since;
      let before = ledger.usage('k', 'a', since);
      ops.forEach((op, i) => {
        t += op.dt;
        seal.transaction(() => ledger.reserve('k', 'a', op.amount, t, `r${i}`));
        const after = ledger.usage('k', 'a', since);
        assert.ok(after.amount >= before.amount && after.count === before.count + 1);
        before = after;
      });
      db.close();
    }),
    { numRuns: 100, seed: 7 },
  );
});

test('several windows read at once give what each window read alone gives, in order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ dt: fc.integer({ min: 0, max: 50 }), amount: fc.bigInt({ min: 0n, max: 10n ** 30n }) }), { maxLength: 40 }),
      fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 4 }),
      (ops, sinces) => {
        const { db, seal } = sealedDb();
        const ledger = new SpendLedger(db, seal);
        let t = 1000;
        ops.forEach((op, i) => {
          t += op.dt;
          seal.transaction(() => ledger.reserve('k', 'a', op.amount, t, `r${i}`));
        });
        assert.deepEqual(
          ledger.usages('k', 'a', sinces),
          sinces.map((since) => ledger.usage('k', 'a', since)),
        );
        assert.deepEqual(
          ledger.usages('other', 'a', sinces),
          sinces.map(() => ({ amount: 0n, count: 0 })),
        );
        db.close();
      },
    ),
    { numRuns: 150, seed: 11 },
  );
});
