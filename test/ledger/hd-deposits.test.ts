// HD deposit addresses in the ledger (ledger/hd-deposits.ts), on embedded PGlite and on a PostgreSQL
// server: the account xpub read once and kept; each allocation takes the next index durably with the
// address derived from the xpub and registered for the customer in one transaction; concurrent
// allocations (on PostgreSQL, each on its own pooled connection) get distinct indexes with no gap;
// an allocation that fails hands out nothing and consumes no index. The key derivation before a sweep
// and the refusal of a mismatching address run against the real appliance (test/e2e/ledger-hd-sweep.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { mnemonicToAccount } from 'viem/accounts';
import type { Db } from '../../ledger/db.js';
import { findCustodyAddress, registerCustodyAddress } from '../../ledger/custody-addresses.js';
import { LedgerError } from '../../ledger/errors.js';
import { allocateHdDepositAddress, ensureAccountXpub, findHdDepositAddress, listHdDepositAddresses, storedAccountXpub } from '../../ledger/hd-deposits.js';
import { describeEachBackend } from '../helpers/ledger-backends.js';

// A published test-only mnemonic (the Hardhat/anvil default); never a real wallet's.
const MNEMONIC = 'test test test test test test test test test test test junk';
const master = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));
const XPUB_2 = master.derive("m/44'/60'/2'").publicExtendedKey;
const WALLET = 'hd-0123456789abcdef0123456789abcdef';
const CHAIN = 31337n;
const refused = (code: string) => (e: unknown) => e instanceof LedgerError && e.code === code;

describeEachBackend('HD deposit addresses', (backend) => {
  let db: Db;
  before(async () => {
    db = await backend.open();
  });
  after(async () => {
    await db?.close();
  });

  test('the xpub is read once and kept; a different answer later is refused; an xprv is never stored', async () => {
    let reads = 0;
    const fetchXpub = async () => {
      reads++;
      return XPUB_2;
    };
    assert.equal(await storedAccountXpub(db, { walletId: WALLET, account: 2 }), null);
    assert.equal(await ensureAccountXpub(db, { walletId: WALLET, account: 2 }, fetchXpub), XPUB_2);
    assert.equal(await ensureAccountXpub(db, { walletId: WALLET, account: 2 }, fetchXpub), XPUB_2);
    assert.equal(reads, 1, 'one read of the appliance, then the stored xpub');
    await assert.rejects(
      ensureAccountXpub(db, { walletId: WALLET, account: 3 }, async () => master.derive("m/44'/60'/3'").privateExtendedKey),
      refused('bad_entry'),
    );
    await assert.rejects(
      ensureAccountXpub(db, { walletId: WALLET, account: 3 }, async () => XPUB_2),
      refused('bad_entry'),
      "account 2's xpub is not account 3's",
    );
    assert.equal(await storedAccountXpub(db, { walletId: WALLET, account: 3 }), null);
  });

  test("an allocation registers the customer's deposit address m/44'/60'/a'/0/i, viem's address for the mnemonic", async () => {
    const made = await allocateHdDepositAddress(db, { walletId: WALLET, account: 2, chainId: CHAIN, customer: 'dora', group: 'deposit', label: 'dep-dora' });
    assert.deepEqual([made.hd.index, made.hd.path], [0, "m/44'/60'/2'/0/0"]);
    assert.equal(made.address.address, mnemonicToAccount(MNEMONIC, { accountIndex: 2, addressIndex: 0 }).address.toLowerCase());
    assert.deepEqual(made.address, { chainId: CHAIN, address: made.hd.address, role: 'deposit', customer: 'dora', keyGroup: 'deposit' }, 'no key yet');
    assert.deepEqual(await findCustodyAddress(db, CHAIN, made.hd.address), made.address);
    assert.deepEqual(await findHdDepositAddress(db, CHAIN, made.hd.address.toUpperCase().replace('0X', '0x')), made.hd);
    await assert.rejects(
      allocateHdDepositAddress(db, { walletId: WALLET, account: 9, chainId: CHAIN, customer: 'dora', group: 'deposit', label: 'x' }),
      refused('not_found'),
      'no xpub stored for account 9',
    );
  });

  test('concurrent allocations get distinct indexes, no gap, each address the xpub gives', async () => {
    const n = 12;
    const made = await Promise.all(
      Array.from({ length: n }, (_, i) => allocateHdDepositAddress(db, { walletId: WALLET, account: 2, chainId: CHAIN, customer: `c${i % 3}`, group: 'deposit', label: `dep-${i}` })),
    );
    const indexes = made.map((m) => m.hd.index).sort((a, b) => a - b);
    assert.deepEqual(
      indexes,
      Array.from({ length: n }, (_, i) => i + 1),
    );
    for (const m of made) assert.equal(m.hd.address, mnemonicToAccount(MNEMONIC, { accountIndex: 2, addressIndex: m.hd.index }).address.toLowerCase());
    assert.equal(new Set(made.map((m) => m.hd.address)).size, n);
    const listed = await listHdDepositAddresses(db, CHAIN);
    assert.deepEqual(
      listed.map((h) => h.index),
      Array.from({ length: n + 1 }, (_, i) => i),
    );
    const counter = await db.query<{ next_index: string }>('SELECT next_index::text AS next_index FROM ledger_hd_accounts WHERE wallet_id = $1 AND account = 2', [WALLET]);
    assert.equal(counter.rows[0]!.next_index, String(n + 1));
  });

  test('an allocation that fails hands out nothing and takes no index; the next one gets that index', async () => {
    // The next address is already another owner's (registered as a hot address): the whole allocation rolls back.
    const next = mnemonicToAccount(MNEMONIC, { accountIndex: 2, addressIndex: 13 }).address.toLowerCase();
    await db.query('INSERT INTO ledger_custody_addresses (chain_id, address, role) VALUES ($1, $2, $3)', [CHAIN.toString(), next, 'hot']);
    await assert.rejects(allocateHdDepositAddress(db, { walletId: WALLET, account: 2, chainId: CHAIN, customer: 'eve', group: 'deposit', label: 'dep-eve' }), refused('address_taken'));
    assert.equal(await findHdDepositAddress(db, CHAIN, next), null);
    const counter = await db.query<{ next_index: string }>('SELECT next_index::text AS next_index FROM ledger_hd_accounts WHERE wallet_id = $1 AND account = 2', [WALLET]);
    assert.equal(counter.rows[0]!.next_index, '13', 'index 13 not consumed');
    await db.query('DELETE FROM ledger_custody_addresses WHERE chain_id = $1 AND address = $2', [CHAIN.toString(), next]);
    const made = await allocateHdDepositAddress(db, { walletId: WALLET, account: 2, chainId: CHAIN, customer: 'eve', group: 'deposit', label: 'dep-eve' });
    assert.deepEqual([made.hd.index, made.hd.address], [13, next]);
    // The same (wallet, account, index) can never be recorded twice.
    await registerCustodyAddress(db, { chainId: 1n, address: next, role: 'deposit', customer: 'eve' });
    await assert.rejects(
      db.query('INSERT INTO ledger_hd_addresses (wallet_id, account, address_index, chain_id, address, customer, label) VALUES ($1, 2, 13, 1, $2, $3, $4)', [WALLET, next, 'eve', 'x']),
    );
  });
});
