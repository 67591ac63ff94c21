// The journal, on embedded PGlite and on a PostgreSQL server: postings along the withdrawal and
// deposit transitions, each refusal (unbalanced, negative Available, illegal transition, unknown
// account, reused idempotency key) writing nothing, idempotent retries, reversals, the database's own
// refusal to change a posted row, and replay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { customerAccount, custodyAccount, feesAccount, openAccount } from '../../ledger/accounts.js';
import { nativeAsset, erc20Asset } from '../../ledger/assets.js';
import { accountBalance } from '../../ledger/balances.js';
import type { Db } from '../../ledger/db.js';
import type { LineInput } from '../../ledger/entry.js';
import { LedgerError, type LedgerErrorCode } from '../../ledger/errors.js';
import { getEntry, postEntry, reverseEntry } from '../../ledger/journal.js';
import { migrate } from '../../ledger/migrations.js';
import { describeEachBackend } from '../helpers/ledger-backends.js';
import { checkReplay } from '../../ledger/replay.js';

const ETH = nativeAsset(1);
const USDC = erc20Asset(1, '0xA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48');
const HOT = '0x1111111111111111111111111111111111111111';

describeEachBackend('the journal', (backend) => {
  let db: Db;
  before(async () => {
    db = await backend.open();
  });
  after(async () => {
    await db?.close();
  });

  async function open(customer: string, asset = ETH) {
    const c = customerAccount(customer, asset);
    const h = custodyAccount(HOT, asset);
    await openAccount(db, c);
    await openAccount(db, h);
    await openAccount(db, feesAccount(ETH));
    await openAccount(db, custodyAccount(HOT, ETH));
    return { c, h };
  }

  async function balances(customer: string, asset = ETH) {
    const b = await accountBalance(db, customerAccount(customer, asset));
    assert.ok(b);
    return { available: b.available, reserved: b.reserved, pending: b.pending, settled: b.settled };
  }

  async function entryCount(): Promise<number> {
    return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_entries')).rows[0]!.n;
  }

  async function refused(code: LedgerErrorCode, p: Promise<unknown>) {
    // `p` may be rejected already (a check before any query); mark it handled while the count is read.
    p.catch(() => undefined);
    const before = await entryCount();
    await assert.rejects(p, (err: unknown) => err instanceof LedgerError && err.code === code);
    assert.equal(await entryCount(), before, 'a refused posting writes nothing');
  }

  /** A finalized deposit of `amount` to `customer` (inclusion then finality). */
  async function deposit(customer: string, amount: bigint, key: string, asset = ETH) {
    const { c, h } = await open(customer, asset);
    const inclusion = await postEntry(db, {
      kind: 'deposit.inclusion',
      idempotencyKey: `${key}:inc`,
      trace: { traceId: key },
      lines: [
        { account: c, state: 'pending', amount },
        { account: h, state: 'pending', amount: -amount },
      ],
    });
    const finality = await postEntry(db, {
      kind: 'deposit.finality',
      idempotencyKey: `${key}:fin`,
      trace: { traceId: key },
      lines: [
        { account: c, state: 'pending', amount: -amount },
        { account: c, state: 'available', amount },
        { account: h, state: 'pending', amount },
        { account: h, state: 'settled', amount: -amount },
      ],
    });
    return { inclusion, finality };
  }

  const move = (account: LineInput['account'], from: LineInput['state'], to: LineInput['state'], amount: bigint): LineInput[] => [
    { account, state: from, amount: -amount },
    { account, state: to, amount },
  ];

  test('migrations run once: a second migrate applies nothing', async () => {
    assert.deepEqual(await migrate(db), []);
  });

  test('a deposit is Pending at inclusion, then Available (customer) and Settled (custody address) at finality', async () => {
    await open('dep1');
    const before = await accountBalance(db, custodyAccount(HOT, ETH));
    await deposit('dep1', 0n + 5n * 10n ** 18n, 'dep1-a');
    assert.deepEqual(await balances('dep1'), { available: 5n * 10n ** 18n, reserved: 0n, pending: 0n, settled: 0n });
    const hot = await accountBalance(db, custodyAccount(HOT, ETH));
    assert.equal(hot!.settled - before!.settled, -5n * 10n ** 18n, "the custody address's Settled mirrors what it holds on chain");
  });

  test('a withdrawal moves Available → Reserved → Pending → out, with the network fee to the fee account', async () => {
    const { c, h } = await open('wd1');
    await deposit('wd1', 1000n, 'wd1-dep');
    const trace = { traceId: 'wd-1', bridgeRequestId: 'req-77', auditSeq: 42 };
    const req = await postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'wd-1:request', trace, lines: move(c, 'available', 'reserved', 600n) });
    assert.deepEqual(await balances('wd1'), { available: 400n, reserved: 600n, pending: 0n, settled: 0n });
    assert.deepEqual(req.entry.trace, trace);
    await postEntry(db, { kind: 'withdrawal.broadcast', idempotencyKey: 'wd-1:broadcast', trace, lines: move(c, 'reserved', 'pending', 600n) });
    assert.deepEqual(await balances('wd1'), { available: 400n, reserved: 0n, pending: 600n, settled: 0n });
    const fees0 = (await accountBalance(db, feesAccount(ETH)))!.settled;
    const hot0 = (await accountBalance(db, h))!.settled;
    await postEntry(db, {
      kind: 'withdrawal.finality',
      idempotencyKey: 'wd-1:final',
      trace,
      lines: [
        { account: c, state: 'pending', amount: -600n },
        { account: h, state: 'settled', amount: 621n },
        { account: feesAccount(ETH), state: 'settled', amount: -21n },
      ],
    });
    assert.deepEqual(await balances('wd1'), { available: 400n, reserved: 0n, pending: 0n, settled: 0n });
    assert.equal((await accountBalance(db, feesAccount(ETH)))!.settled - fees0, -21n);
    assert.equal((await accountBalance(db, h))!.settled - hot0, 621n);
    const stored = await getEntry(db, req.entry.id);
    assert.deepEqual(stored, req.entry, 'the stored entry reads back as posted, trace included');
  });

  test('an ERC-20 withdrawal pays its fee in the native asset; each asset balances on its own', async () => {
    const { c, h } = await open('tok1', USDC);
    await deposit('tok1', 50n, 'tok1-dep', USDC);
    const trace = { traceId: 'wd-tok1' };
    await postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'wd-tok1:r', trace, lines: move(c, 'available', 'reserved', 50n) });
    await postEntry(db, { kind: 'withdrawal.broadcast', idempotencyKey: 'wd-tok1:b', trace, lines: move(c, 'reserved', 'pending', 50n) });
    await postEntry(db, {
      kind: 'withdrawal.finality',
      idempotencyKey: 'wd-tok1:f',
      trace,
      lines: [
        { account: c, state: 'pending', amount: -50n },
        { account: h, state: 'settled', amount: 50n },
        { account: custodyAccount(HOT, ETH), state: 'settled', amount: 3n },
        { account: feesAccount(ETH), state: 'settled', amount: -3n },
      ],
    });
    assert.deepEqual(await balances('tok1', USDC), { available: 0n, reserved: 0n, pending: 0n, settled: 0n });
  });

  test('cancel (Reserved → Available) and failure (Pending → Available) give the amount back', async () => {
    const { c } = await open('cx1');
    await deposit('cx1', 100n, 'cx1-dep');
    const trace = { traceId: 'wd-cx1' };
    await postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'cx1:r1', trace, lines: move(c, 'available', 'reserved', 70n) });
    await postEntry(db, { kind: 'withdrawal.cancel', idempotencyKey: 'cx1:c1', trace, lines: move(c, 'reserved', 'available', 70n) });
    assert.deepEqual(await balances('cx1'), { available: 100n, reserved: 0n, pending: 0n, settled: 0n });
    await postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'cx1:r2', trace, lines: move(c, 'available', 'reserved', 30n) });
    await postEntry(db, { kind: 'withdrawal.broadcast', idempotencyKey: 'cx1:b2', trace, lines: move(c, 'reserved', 'pending', 30n) });
    await postEntry(db, { kind: 'withdrawal.failure', idempotencyKey: 'cx1:f2', trace, lines: move(c, 'pending', 'available', 30n) });
    assert.deepEqual(await balances('cx1'), { available: 100n, reserved: 0n, pending: 0n, settled: 0n });
  });

  test('an unbalanced entry is refused and writes nothing', async () => {
    const { c, h } = await open('ub1');
    await refused(
      'unbalanced',
      postEntry(db, {
        kind: 'deposit.inclusion',
        idempotencyKey: 'ub1:inc',
        trace: { traceId: 'ub1' },
        lines: [
          { account: c, state: 'pending', amount: 10n },
          { account: h, state: 'pending', amount: -9n },
        ],
      }),
    );
    assert.deepEqual(await balances('ub1'), { available: 0n, reserved: 0n, pending: 0n, settled: 0n });
  });

  test('a withdrawal request beyond Available is refused (negative_balance) and writes nothing', async () => {
    const { c } = await open('neg1');
    await deposit('neg1', 10n, 'neg1-dep');
    await refused('negative_balance', postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'neg1:r', trace: { traceId: 'wd-neg1' }, lines: move(c, 'available', 'reserved', 11n) }));
    assert.deepEqual(await balances('neg1'), { available: 10n, reserved: 0n, pending: 0n, settled: 0n });
    // Nor can a broadcast move more than is Reserved.
    await postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'neg1:r2', trace: { traceId: 'wd-neg1' }, lines: move(c, 'available', 'reserved', 4n) });
    await refused('negative_balance', postEntry(db, { kind: 'withdrawal.broadcast', idempotencyKey: 'neg1:b2', trace: { traceId: 'wd-neg1' }, lines: move(c, 'reserved', 'pending', 5n) }));
    assert.deepEqual(await balances('neg1'), { available: 6n, reserved: 4n, pending: 0n, settled: 0n });
  });

  test('lines the kind does not allow are refused (illegal_transition) and write nothing', async () => {
    const { c, h } = await open('il1');
    await deposit('il1', 100n, 'il1-dep');
    const trace = { traceId: 'il1' };
    // Available straight to Pending, skipping Reserved.
    await refused('illegal_transition', postEntry(db, { kind: 'withdrawal.broadcast', idempotencyKey: 'il1:a', trace, lines: move(c, 'available', 'pending', 5n) }));
    // A request backwards (Reserved → Available is a cancel, not a request).
    await refused('illegal_transition', postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'il1:b', trace, lines: move(c, 'reserved', 'available', 5n) }));
    // A state move that hands value to another customer.
    const { c: other } = await open('il1-other');
    await refused(
      'illegal_transition',
      postEntry(db, {
        kind: 'withdrawal.request',
        idempotencyKey: 'il1:c',
        trace,
        lines: [
          { account: c, state: 'available', amount: -5n },
          { account: other, state: 'reserved', amount: 5n },
        ],
      }),
    );
    // A deposit's inclusion crediting Available directly.
    await refused(
      'illegal_transition',
      postEntry(db, {
        kind: 'deposit.inclusion',
        idempotencyKey: 'il1:d',
        trace,
        lines: [
          { account: c, state: 'available', amount: 5n },
          { account: h, state: 'pending', amount: -5n },
        ],
      }),
    );
    // A deposit's finality crediting the customer more than the custody address received.
    await postEntry(db, {
      kind: 'deposit.inclusion',
      idempotencyKey: 'il1:e-inc',
      trace,
      lines: [
        { account: c, state: 'pending', amount: 5n },
        { account: h, state: 'pending', amount: -5n },
      ],
    });
    await refused(
      'illegal_transition',
      postEntry(db, {
        kind: 'deposit.finality',
        idempotencyKey: 'il1:e-fin',
        trace,
        lines: [...move(c, 'pending', 'available', 5n), ...move(h, 'settled', 'pending', 4n)],
      }),
    );
    assert.deepEqual(await balances('il1'), { available: 100n, reserved: 0n, pending: 5n, settled: 0n });
  });

  test('malformed entries and unknown accounts are refused', async () => {
    const { c } = await open('bad1');
    const trace = { traceId: 'bad1' };
    await refused('bad_entry', postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'bad1:a', trace, lines: move(c, 'available', 'reserved', 0n) }));
    await refused('bad_entry', postEntry(db, { kind: 'withdrawal.request', idempotencyKey: '', trace, lines: move(c, 'available', 'reserved', 1n) }));
    await refused('bad_entry', postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'bad1:b', trace: { traceId: '' }, lines: move(c, 'available', 'reserved', 1n) }));
    await refused('bad_entry', postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'bad1:c', trace, lines: [{ account: c, state: 'available', amount: 1 as unknown as bigint }] }));
    await refused('bad_entry', postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'bad1:d', trace, lines: move(customerAccount('bad1', '1:erc20:0xABC'), 'available', 'reserved', 1n) }));
    await refused('unknown_account', postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'bad1:e', trace, lines: move(customerAccount('never-opened', ETH), 'available', 'reserved', 1n) }));
  });

  test('posting the same entry twice is one entry; a different entry under the same key is refused', async () => {
    const { c } = await open('idem1');
    await deposit('idem1', 100n, 'idem1-dep');
    const input = { kind: 'withdrawal.request' as const, idempotencyKey: 'idem1:r', trace: { traceId: 'wd-idem1' }, lines: move(c, 'available', 'reserved', 40n) };
    const first = await postEntry(db, input);
    const n = await entryCount();
    const second = await postEntry(db, input);
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.deepEqual(second.entry, first.entry);
    assert.equal(await entryCount(), n);
    assert.deepEqual(await balances('idem1'), { available: 60n, reserved: 40n, pending: 0n, settled: 0n });
    await refused('idempotency_conflict', postEntry(db, { ...input, lines: move(c, 'available', 'reserved', 41n) }));
  });

  test('a reorg reverses the Pending posting with an entry that references it; an entry is reversed once', async () => {
    const { c, h } = await open('rev1');
    const inc = await postEntry(db, {
      kind: 'deposit.inclusion',
      idempotencyKey: 'rev1:inc',
      trace: { traceId: 'dep-rev1', auditSeq: 9 },
      lines: [
        { account: c, state: 'pending', amount: 80n },
        { account: h, state: 'pending', amount: -80n },
      ],
    });
    assert.equal((await balances('rev1')).pending, 80n);
    const rev = await reverseEntry(db, { entryId: inc.entry.id, idempotencyKey: 'rev1:reorg' });
    assert.equal(rev.entry.kind, 'reversal');
    assert.equal(rev.entry.reverses, inc.entry.id);
    assert.deepEqual(rev.entry.trace, inc.entry.trace, "the reversal carries the original's trace");
    assert.deepEqual(
      rev.entry.lines.map((l) => l.amount),
      inc.entry.lines.map((l) => -l.amount),
    );
    assert.deepEqual(await balances('rev1'), { available: 0n, reserved: 0n, pending: 0n, settled: 0n });
    assert.equal((await getEntry(db, inc.entry.id))!.lines[0]!.amount, 80n, 'the original stays as it was');
    assert.equal((await reverseEntry(db, { entryId: inc.entry.id, idempotencyKey: 'rev1:reorg' })).duplicate, true);
    await refused('already_reversed', reverseEntry(db, { entryId: inc.entry.id, idempotencyKey: 'rev1:reorg-again' }));
    await refused('not_reversible', reverseEntry(db, { entryId: rev.entry.id, idempotencyKey: 'rev1:rev-rev' }));
    await refused('not_found', reverseEntry(db, { entryId: 999_999, idempotencyKey: 'rev1:none' }));
  });

  test('concurrent postings cannot overspend, and one idempotency key posted at once is one entry', async () => {
    const { c } = await open('conc1');
    await deposit('conc1', 100n, 'conc1-dep');
    const trace = { traceId: 'wd-conc1' };
    const results = await Promise.allSettled([
      postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'conc1:a', trace, lines: move(c, 'available', 'reserved', 60n) }),
      postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'conc1:b', trace, lines: move(c, 'available', 'reserved', 60n) }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const refusal = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(refusal.reason instanceof LedgerError && refusal.reason.code === 'negative_balance');
    assert.deepEqual(await balances('conc1'), { available: 40n, reserved: 60n, pending: 0n, settled: 0n });
    const same = { kind: 'withdrawal.request' as const, idempotencyKey: 'conc1:c', trace, lines: move(c, 'available', 'reserved', 10n) };
    const twice = await Promise.all([postEntry(db, same), postEntry(db, same)]);
    assert.equal(twice[0].entry.id, twice[1].entry.id);
    assert.deepEqual(twice.map((p) => p.duplicate).sort(), [false, true]);
    assert.deepEqual(await balances('conc1'), { available: 30n, reserved: 70n, pending: 0n, settled: 0n });
  });

  test('a reversal that would make Available negative is refused', async () => {
    const { c } = await open('rev2');
    const { finality } = await deposit('rev2', 30n, 'rev2-dep');
    await postEntry(db, { kind: 'withdrawal.request', idempotencyKey: 'rev2:r', trace: { traceId: 'wd-rev2' }, lines: move(c, 'available', 'reserved', 20n) });
    await refused('negative_balance', reverseEntry(db, { entryId: finality.entry.id, idempotencyKey: 'rev2:undo' }));
  });

  test('the database refuses to update or delete a posted row, and refuses an unbalanced entry by itself', async () => {
    await assert.rejects(db.query('UPDATE ledger_lines SET amount = amount + 1'), /append-only/);
    await assert.rejects(db.query('DELETE FROM ledger_entries'), /append-only/);
    await assert.rejects(db.exec('TRUNCATE ledger_lines, ledger_entries'), /append-only/);
    const { c } = await open('raw1');
    await assert.rejects(
      db.transaction(async (tx) => {
        const e = await tx.query<{ id: number }>("INSERT INTO ledger_entries (kind, idempotency_key, fingerprint, trace_id) VALUES ('withdrawal.request', 'raw1', 'x', 'raw1') RETURNING id");
        await tx.query("INSERT INTO ledger_lines (entry_id, line_no, account_id, state, amount) VALUES ($1, 0, $2, 'reserved', 5)", [e.rows[0]!.id, `customer/raw1/${ETH}`]);
      }),
      /does not balance/,
    );
    await assert.rejects(db.query("UPDATE ledger_balances SET amount = -1 WHERE account_id = $1 AND state = 'available'", [`customer/raw1/${ETH}`]), /check/i);
    assert.ok(c);
  });

  test('replaying the journal from empty gives exactly the stored balances', async () => {
    const r = await checkReplay(db);
    assert.ok(r.entries > 10);
    assert.deepEqual(r.differences, []);
  });

  test('replay notices a stored balance the journal does not explain', async () => {
    const { c } = await open('drift1');
    // Drift written around the journal (what a bug or a hand edit would do): replay must see it.
    await db.query("UPDATE ledger_balances SET amount = amount + 7 WHERE account_id = $1 AND state = 'available'", [`customer/drift1/${ETH}`]);
    const r = await checkReplay(db);
    assert.deepEqual(
      r.differences.map((d) => [d.accountId, d.state, d.stored, d.replayed]),
      [[`customer/drift1/${ETH}`, 'available', 7n, 0n]],
    );
    await db.query("UPDATE ledger_balances SET amount = amount - 7 WHERE account_id = $1 AND state = 'available'", [`customer/drift1/${ETH}`]);
    assert.ok(c);
  });
});
