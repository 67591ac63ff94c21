// The `sweep` entry kind (ledger/transitions.ts, docs/ledger.md "Sweeps") on embedded PGlite: a deposit
// address's custody Settled rises by amount and fee, the hot address's falls by the amount, the fee
// account by the fee; a token sweep carries its gas in the native asset; a sweep that touches a
// customer or another state, or does not balance, is refused and writes nothing; replay agrees. The
// sweeps table (migration 5) keeps at most one sweep per address in flight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { customerAccount, custodyAccount, feesAccount, openAccount } from '../../ledger/accounts.js';
import { erc20Asset, nativeAsset } from '../../ledger/assets.js';
import { accountBalance } from '../../ledger/balances.js';
import type { Db } from '../../ledger/db.js';
import { LedgerError, type LedgerErrorCode } from '../../ledger/errors.js';
import { postEntry } from '../../ledger/journal.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { checkReplay } from '../../ledger/replay.js';
import { registerCustodyAddress } from '../../ledger/custody-addresses.js';

const ETH = nativeAsset(31337);
const TOKEN = erc20Asset(31337, '0x3333333333333333333333333333333333333333');
const HOT = '0x1111111111111111111111111111111111111111';
const DEP = '0x2222222222222222222222222222222222222222';

let db: Db;
before(async () => {
  db = await openLedgerDb();
  for (const a of [custodyAccount(HOT, ETH), custodyAccount(DEP, ETH), feesAccount(ETH), custodyAccount(HOT, TOKEN), custodyAccount(DEP, TOKEN), customerAccount('c1', ETH)]) await openAccount(db, a);
});
after(async () => {
  await db?.close();
});

const settled = async (address: string, asset = ETH) => (await accountBalance(db, custodyAccount(address, asset)))!.settled;
const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_entries')).rows[0]!.n;

async function refused(code: LedgerErrorCode, p: Promise<unknown>): Promise<void> {
  const before = await count();
  await assert.rejects(p, (e: unknown) => e instanceof LedgerError && e.code === code);
  assert.equal(await count(), before, 'nothing written');
}

test('a native sweep moves amount and fee out of the deposit address, the amount into the hot address, the fee to the fee account', async () => {
  await postEntry(db, {
    kind: 'sweep',
    idempotencyKey: 'sw1',
    trace: { traceId: 'sweep-1', bridgeRequestId: 'sweep-abc', auditSeq: 7 },
    lines: [
      { account: custodyAccount(DEP, ETH), state: 'settled', amount: 1000n + 21n },
      { account: custodyAccount(HOT, ETH), state: 'settled', amount: -1000n },
      { account: feesAccount(ETH), state: 'settled', amount: -21n },
    ],
  });
  assert.deepEqual([await settled(DEP), await settled(HOT), (await accountBalance(db, feesAccount(ETH)))!.settled], [1021n, -1000n, -21n]);
});

test('a token sweep moves the token between custody addresses and pays its gas in the native asset', async () => {
  await postEntry(db, {
    kind: 'sweep',
    idempotencyKey: 'sw2',
    trace: { traceId: 'sweep-2' },
    lines: [
      { account: custodyAccount(DEP, TOKEN), state: 'settled', amount: 50n },
      { account: custodyAccount(HOT, TOKEN), state: 'settled', amount: -50n },
      { account: custodyAccount(DEP, ETH), state: 'settled', amount: 40n },
      { account: feesAccount(ETH), state: 'settled', amount: -40n },
    ],
  });
  assert.deepEqual([await settled(DEP, TOKEN), await settled(HOT, TOKEN), await settled(DEP)], [50n, -50n, 1061n]);
});

test('a sweep touching a customer, another state, or not balanced is refused', async () => {
  const dep = custodyAccount(DEP, ETH);
  const hot = custodyAccount(HOT, ETH);
  await refused(
    'illegal_transition',
    postEntry(db, {
      kind: 'sweep',
      idempotencyKey: 'bad1',
      trace: { traceId: 'x' },
      lines: [
        { account: customerAccount('c1', ETH), state: 'available', amount: -5n },
        { account: dep, state: 'settled', amount: 5n },
      ],
    }),
  );
  await refused(
    'illegal_transition',
    postEntry(db, {
      kind: 'sweep',
      idempotencyKey: 'bad2',
      trace: { traceId: 'x' },
      lines: [
        { account: dep, state: 'pending', amount: 5n },
        { account: hot, state: 'settled', amount: -5n },
      ],
    }),
  );
  await refused(
    'illegal_transition',
    postEntry(db, {
      kind: 'sweep',
      idempotencyKey: 'bad3',
      trace: { traceId: 'x' },
      lines: [
        { account: dep, state: 'settled', amount: 5n },
        { account: feesAccount(ETH), state: 'settled', amount: 5n },
        { account: hot, state: 'settled', amount: -10n },
      ],
    }),
  );
  await refused(
    'unbalanced',
    postEntry(db, {
      kind: 'sweep',
      idempotencyKey: 'bad4',
      trace: { traceId: 'x' },
      lines: [
        { account: dep, state: 'settled', amount: 6n },
        { account: hot, state: 'settled', amount: -5n },
      ],
    }),
  );
  assert.deepEqual((await checkReplay(db)).differences, []);
});

test('the sweeps table keeps one sweep per address in flight', async () => {
  for (const [address, role] of [
    [HOT, 'hot'],
    [DEP, 'deposit'],
  ] as const)
    await registerCustodyAddress(db, { chainId: 31337n, address, role, ...(role === 'deposit' ? { customer: 'c1' } : {}) });
  const insert = (requestId: string, status: string) =>
    db.query(
      "INSERT INTO ledger_sweeps (chain_id, from_address, to_address, asset, key_id, nonce, amount, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, request_id, status) VALUES (31337, $1, $2, '31337:native', 'k', 0, 1, 21000, 1, 1, $3, $4)",
      [DEP, HOT, requestId, status],
    );
  await insert('r1', 'denied');
  await insert('r2', 'broadcast');
  await assert.rejects(insert('r3', 'signing'), /unique|duplicate/i);
  await insert('r4', 'settled');
});
