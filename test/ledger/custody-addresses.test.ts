// The custody-address registry, on embedded PGlite and on a PostgreSQL server: idempotent
// registration, one owner per address, filters, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../ledger/db.js';
import { findCustodyAddress, listCustodyAddresses, registerCustodyAddress } from '../../ledger/custody-addresses.js';
import { LedgerError } from '../../ledger/errors.js';
import { describeEachBackend } from '../helpers/ledger-backends.js';

const A = '0x' + 'ab'.repeat(20);
const B = '0x' + 'cd'.repeat(20);
const HOT = '0x' + '11'.repeat(20);

describeEachBackend('custody addresses', (backend) => {
  let db: Db;
  before(async () => {
    db = await backend.open();
  });
  after(async () => {
    await db?.close();
  });

  const refused = (code: string) => (err: unknown) => err instanceof LedgerError && err.code === code;

  test('a deposit address is registered once, in lower case, and found by either spelling', async () => {
    const first = await registerCustodyAddress(db, { chainId: 31337n, address: A.toUpperCase().replace('0X', '0x'), role: 'deposit', customer: 'alice', keyId: 'k1', keyGroup: 'deposit' });
    assert.equal(first.address, A);
    const again = await registerCustodyAddress(db, { chainId: 31337n, address: A, role: 'deposit', customer: 'alice' });
    assert.deepEqual(again, first, 'the same registration again keeps the stored row');
    assert.deepEqual(await findCustodyAddress(db, 31337n, A.toUpperCase().replace('0X', '0x')), first);
    assert.equal(await findCustodyAddress(db, 1n, A), null, 'another chain is another address');
  });

  test('an address never credits two owners or changes role', async () => {
    await registerCustodyAddress(db, { chainId: 31337n, address: B, role: 'deposit', customer: 'bob' });
    await assert.rejects(registerCustodyAddress(db, { chainId: 31337n, address: B, role: 'deposit', customer: 'mallory' }), refused('address_taken'));
    await assert.rejects(registerCustodyAddress(db, { chainId: 31337n, address: B, role: 'hot' }), refused('address_taken'));
    assert.equal((await findCustodyAddress(db, 31337n, B))?.customer, 'bob');
  });

  test('bad input is a typed refusal', async () => {
    await assert.rejects(registerCustodyAddress(db, { chainId: 31337n, address: '0x1234', role: 'hot' }), refused('bad_entry'));
    await assert.rejects(registerCustodyAddress(db, { chainId: 0n, address: HOT, role: 'hot' }), refused('bad_entry'));
    await assert.rejects(registerCustodyAddress(db, { chainId: 31337n, address: HOT, role: 'deposit' }), refused('bad_entry'), 'a deposit address names its customer');
    await assert.rejects(registerCustodyAddress(db, { chainId: 31337n, address: HOT, role: 'hot', customer: 'alice' }), refused('bad_entry'));
  });

  test('listing filters by role and customer', async () => {
    await registerCustodyAddress(db, { chainId: 31337n, address: HOT, role: 'hot', keyId: 'hot-1', keyGroup: 'hot' });
    const hot = await listCustodyAddresses(db, 31337n, { role: 'hot' });
    assert.deepEqual(
      hot.map((a) => a.address),
      [HOT],
    );
    const alice = await listCustodyAddresses(db, 31337n, { customer: 'alice' });
    assert.deepEqual(
      alice.map((a) => a.address),
      [A],
    );
    assert.equal((await listCustodyAddresses(db, 31337n)).length, 3);
  });
});
