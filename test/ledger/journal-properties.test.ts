// Property tests of the journal, on embedded PGlite and on a PostgreSQL server: random sequences of
// postings (deposits with reorgs, withdrawals that are cancelled, fail or settle, retries, and
// arbitrary lines of any kind) never leave an entry unbalanced in an asset, never make a customer's
// Available negative, refuse exactly the withdrawals a model of Available says to refuse, and
// replaying the journal from empty gives the stored balances. One database per backend (PGlite takes
// seconds to start); each run uses customers of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { customerAccount, custodyAccount, feesAccount, openAccount, type AccountRef } from '../../ledger/accounts.js';
import { erc20Asset, nativeAsset } from '../../ledger/assets.js';
import { accountBalance } from '../../ledger/balances.js';
import type { Db } from '../../ledger/db.js';
import type { EntryInput, LineInput } from '../../ledger/entry.js';
import { LedgerError } from '../../ledger/errors.js';
import { postEntry, reverseEntry } from '../../ledger/journal.js';
import { STATES } from '../../ledger/kinds.js';
import { describeEachBackend } from '../helpers/ledger-backends.js';
import { checkReplay } from '../../ledger/replay.js';
import { ENTRY_KINDS } from '../../ledger/transitions.js';

const ASSETS = [nativeAsset(1), erc20Asset(1, '0x' + 'ab'.repeat(20)), nativeAsset(10)];
const HOT = '0x' + '22'.repeat(20);
const CUSTOMERS = 2;

describeEachBackend('journal properties', (backend) => {
  let db: Db;
  let run = 0;
  before(async () => {
    db = await backend.open();
  });
  after(async () => {
    await db?.close();
  });

  type Command =
    | { t: 'deposit'; c: number; a: number; amount: bigint }
    | { t: 'finalize'; i: number }
    | { t: 'reorg'; i: number }
    | { t: 'request'; c: number; a: number; amount: bigint }
    | { t: 'broadcast'; i: number }
    | { t: 'settle'; i: number; fee: bigint }
    | { t: 'cancel'; i: number }
    | { t: 'fail'; i: number }
    | { t: 'retry'; i: number }
    | { t: 'raw'; kind: number; lines: { who: number; a: number; state: number; amount: bigint }[] };

  const amount = fc.bigInt({ min: 1n, max: 1000n });
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ t: fc.constant('deposit' as const), c: fc.nat(CUSTOMERS - 1), a: fc.nat(ASSETS.length - 1), amount }),
    fc.record({ t: fc.constant('finalize' as const), i: fc.nat() }),
    fc.record({ t: fc.constant('reorg' as const), i: fc.nat() }),
    fc.record({ t: fc.constant('request' as const), c: fc.nat(CUSTOMERS - 1), a: fc.nat(ASSETS.length - 1), amount }),
    fc.record({ t: fc.constant('broadcast' as const), i: fc.nat() }),
    fc.record({ t: fc.constant('settle' as const), i: fc.nat(), fee: fc.bigInt({ min: 0n, max: 30n }) }),
    fc.record({ t: fc.constant('cancel' as const), i: fc.nat() }),
    fc.record({ t: fc.constant('fail' as const), i: fc.nat() }),
    fc.record({ t: fc.constant('retry' as const), i: fc.nat() }),
    fc.record({
      t: fc.constant('raw' as const),
      kind: fc.nat(ENTRY_KINDS.length - 2),
      lines: fc.array(fc.record({ who: fc.nat(CUSTOMERS + 1), a: fc.nat(ASSETS.length - 1), state: fc.nat(3), amount: fc.bigInt({ min: -60n, max: 60n }).filter((x) => x !== 0n) }), {
        minLength: 2,
        maxLength: 4,
      }),
    }),
  );

  interface Deposit {
    c: AccountRef;
    h: AccountRef;
    amount: bigint;
    inclusionId: number;
    key: string;
  }
  interface Withdrawal {
    c: AccountRef;
    a: number;
    amount: bigint;
    key: string;
  }

  async function runCommands(cmds: Command[]): Promise<void> {
    const r = ++run;
    const customer = (c: number, a: number) => customerAccount(`prop${r}-c${c}`, ASSETS[a]!);
    for (let c = 0; c < CUSTOMERS; c++) for (const asset of ASSETS) await openAccount(db, customerAccount(`prop${r}-c${c}`, asset));
    for (const asset of ASSETS) {
      await openAccount(db, custodyAccount(HOT, asset));
      await openAccount(db, feesAccount(asset));
    }
    // The model: each customer's Available per asset, and the open deposits and withdrawals.
    const available = new Map<string, bigint>();
    const avKey = (c: AccountRef) => `${c.owner}|${c.asset}`;
    const pending: Deposit[] = [];
    const reserved: Withdrawal[] = [];
    const inFlight: Withdrawal[] = [];
    const posted: EntryInput[] = [];
    let n = 0;
    const key = () => `prop${r}-${n++}`;
    const move = (c: AccountRef, from: LineInput['state'], to: LineInput['state'], x: bigint): LineInput[] => [
      { account: c, state: from, amount: -x },
      { account: c, state: to, amount: x },
    ];
    const post = async (input: EntryInput) => {
      const p = await postEntry(db, input);
      posted.push(input);
      return p;
    };
    const take = <T>(list: T[], i: number): T | undefined => (list.length === 0 ? undefined : list.splice(i % list.length, 1)[0]);

    for (const cmd of cmds) {
      switch (cmd.t) {
        case 'deposit': {
          const c = customer(cmd.c, cmd.a);
          const h = custodyAccount(HOT, ASSETS[cmd.a]!);
          const k = key();
          const p = await post({
            kind: 'deposit.inclusion',
            idempotencyKey: k,
            trace: { traceId: k },
            lines: [
              { account: c, state: 'pending', amount: cmd.amount },
              { account: h, state: 'pending', amount: -cmd.amount },
            ],
          });
          pending.push({ c, h, amount: cmd.amount, inclusionId: p.entry.id, key: k });
          break;
        }
        case 'finalize': {
          const d = take(pending, cmd.i);
          if (d === undefined) break;
          await post({
            kind: 'deposit.finality',
            idempotencyKey: `${d.key}:fin`,
            trace: { traceId: d.key },
            lines: [...move(d.c, 'pending', 'available', d.amount), { account: d.h, state: 'pending', amount: d.amount }, { account: d.h, state: 'settled', amount: -d.amount }],
          });
          available.set(avKey(d.c), (available.get(avKey(d.c)) ?? 0n) + d.amount);
          break;
        }
        case 'reorg': {
          const d = take(pending, cmd.i);
          if (d === undefined) break;
          const rev = await reverseEntry(db, { entryId: d.inclusionId, idempotencyKey: `${d.key}:reorg` });
          assert.equal(rev.entry.reverses, d.inclusionId);
          break;
        }
        case 'request': {
          const c = customer(cmd.c, cmd.a);
          const have = available.get(avKey(c)) ?? 0n;
          const k = key();
          const input: EntryInput = { kind: 'withdrawal.request', idempotencyKey: k, trace: { traceId: k }, lines: move(c, 'available', 'reserved', cmd.amount) };
          if (cmd.amount > have) {
            await assert.rejects(postEntry(db, input), (e: unknown) => e instanceof LedgerError && e.code === 'negative_balance');
          } else {
            await post(input);
            available.set(avKey(c), have - cmd.amount);
            reserved.push({ c, a: cmd.a, amount: cmd.amount, key: k });
          }
          break;
        }
        case 'broadcast': {
          const w = take(reserved, cmd.i);
          if (w === undefined) break;
          await post({ kind: 'withdrawal.broadcast', idempotencyKey: `${w.key}:b`, trace: { traceId: w.key }, lines: move(w.c, 'reserved', 'pending', w.amount) });
          inFlight.push(w);
          break;
        }
        case 'settle': {
          const w = take(inFlight, cmd.i);
          if (w === undefined) break;
          const native = nativeAsset(BigInt(ASSETS[w.a]!.split(':')[0]!));
          const lines: LineInput[] = [
            { account: w.c, state: 'pending', amount: -w.amount },
            { account: custodyAccount(HOT, ASSETS[w.a]!), state: 'settled', amount: w.amount },
          ];
          if (cmd.fee > 0n) lines.push({ account: custodyAccount(HOT, native), state: 'settled', amount: cmd.fee }, { account: feesAccount(native), state: 'settled', amount: -cmd.fee });
          await post({ kind: 'withdrawal.finality', idempotencyKey: `${w.key}:f`, trace: { traceId: w.key }, lines });
          break;
        }
        case 'cancel': {
          const w = take(reserved, cmd.i);
          if (w === undefined) break;
          await post({ kind: 'withdrawal.cancel', idempotencyKey: `${w.key}:c`, trace: { traceId: w.key }, lines: move(w.c, 'reserved', 'available', w.amount) });
          available.set(avKey(w.c), (available.get(avKey(w.c)) ?? 0n) + w.amount);
          break;
        }
        case 'fail': {
          const w = take(inFlight, cmd.i);
          if (w === undefined) break;
          await post({ kind: 'withdrawal.failure', idempotencyKey: `${w.key}:x`, trace: { traceId: w.key }, lines: move(w.c, 'pending', 'available', w.amount) });
          available.set(avKey(w.c), (available.get(avKey(w.c)) ?? 0n) + w.amount);
          break;
        }
        case 'retry': {
          const input = posted.length === 0 ? undefined : posted[cmd.i % posted.length]!;
          if (input === undefined) break;
          const again = await postEntry(db, input);
          assert.equal(again.duplicate, true, 'a retry is the same entry');
          break;
        }
        case 'raw': {
          // Arbitrary lines under a random kind: either posted whole or refused with a typed error.
          const lines = cmd.lines.map((l) => ({
            account: l.who < CUSTOMERS ? customer(l.who, l.a) : l.who === CUSTOMERS ? custodyAccount(HOT, ASSETS[l.a]!) : feesAccount(ASSETS[l.a]!),
            state: STATES[l.state]!,
            amount: l.amount,
          }));
          const k = key();
          const before = await customerAvailable(r);
          try {
            await postEntry(db, { kind: ENTRY_KINDS[cmd.kind] as EntryInput['kind'], idempotencyKey: k, trace: { traceId: k }, lines });
          } catch (e) {
            assert.ok(e instanceof LedgerError, `a refusal is a LedgerError: ${String(e)}`);
            assert.deepEqual(await customerAvailable(r), before, 'a refused posting changes nothing');
            break;
          }
          // Accepted: keep the model's Available in step with what the lines did to it.
          for (const l of lines) if (l.account.kind === 'customer' && l.state === 'available') available.set(avKey(l.account), (available.get(avKey(l.account)) ?? 0n) + l.amount);
          break;
        }
      }
      // Available is never negative, and matches the model.
      for (let c = 0; c < CUSTOMERS; c++) {
        for (let a = 0; a < ASSETS.length; a++) {
          const b = (await accountBalance(db, customer(c, a)))!;
          for (const s of STATES) assert.ok(b[s] >= 0n, `${b.accountId} ${s} = ${b[s]}`);
          assert.equal(b.available, available.get(avKey(customer(c, a))) ?? 0n);
        }
      }
    }
    // Every entry balances per asset, and replay from empty gives the stored balances.
    const unbalanced = await db.query('SELECT l.entry_id, a.asset FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id GROUP BY l.entry_id, a.asset HAVING sum(l.amount) <> 0');
    assert.deepEqual(unbalanced.rows, []);
    assert.deepEqual((await checkReplay(db)).differences, []);
  }

  async function customerAvailable(r: number): Promise<string> {
    const rows = await db.query<{ id: string; amount: string }>('SELECT account_id AS id, amount::text AS amount FROM ledger_balances WHERE account_id LIKE $1 ORDER BY account_id, state', [
      `customer/prop${r}-%`,
    ]);
    return JSON.stringify(rows.rows);
  }

  test('random postings keep every entry balanced, Available never negative, and replay equal to the stored balances', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 25 }), (cmds) => runCommands(cmds)),
      { numRuns: 30 },
    );
  });
});
