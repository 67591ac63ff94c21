// Deposit addresses from an account xpub (ledger/xpub-deposit-addresses.ts) against a real device
// behind the real bridge: the ledger registers m/44'/60'/0'/0/i with no appliance call, under the key
// id the appliance gives that key later; deriving the key for a sweep gives the registered address and
// id (and a second time reads it back); an xpub of another account, an xprv and a bad index are refused.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HDKey } from '@scure/bip32';
import { BridgeClient } from '../../ledger/bridge-client.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import type { Db } from '../../ledger/db.js';
import { addressFromAccountXpub, ensureDepositKey, registerXpubDepositAddress } from '../../ledger/xpub-deposit-addresses.js';
import { LedgerError } from '../../ledger/errors.js';
import { CHAIN_ID, startTestDevice, type TestDevice } from '../helpers/test-device.js';
import { auditPayloadsOf } from '../helpers/e2e-token.js';

let d: TestDevice;
let db: Db;
let walletId: string;
let xpub: string;
const client = (token: string) => new BridgeClient({ baseUrl: 'http://bridge', token, fetch: ((url: string, init?: RequestInit) => d.app.request(url, init)) as typeof fetch });
const badEntry = (e: unknown) => e instanceof LedgerError && e.code === 'bad_entry';

describe('deposit addresses from an account xpub', () => {
  before(async () => {
    [d, db] = await Promise.all([startTestDevice(), openLedgerDb()]);
    const created = await d.request('POST', '/v1/hd-wallets', d.tokens.admin, { label: 'deposits' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    walletId = String(created.json.walletId);
    xpub = await client(d.tokens.auditor).hdAccountXpub(walletId, 0);
  });
  after(async () => {
    await db?.close();
    await d?.stop();
  });

  test('registered with no appliance call; deriving the key for a sweep gives the same address and key id', async () => {
    const before = (await auditPayloadsOf(d)).length;
    const registered = [];
    for (const [index, customer] of [
      [0, 'carol'],
      [1, 'dave'],
      [7, 'carol'],
    ] as const)
      registered.push(await registerXpubDepositAddress(db, { chainId: BigInt(CHAIN_ID), customer, walletId, xpub, account: 0, index, group: 'hot' }));
    assert.equal((await auditPayloadsOf(d)).length, before, 'the appliance was not called');
    assert.deepEqual(
      await registerXpubDepositAddress(db, { chainId: BigInt(CHAIN_ID), customer: 'carol', walletId, xpub, account: 0, index: 7, group: 'hot' }),
      registered[2],
      'registering again is a no-op',
    );
    const admin = client(d.tokens.admin);
    const key = await ensureDepositKey(admin, registered[2]!, { walletId, account: 0, index: 7, label: 'dep-carol-7' });
    assert.equal(key.keyId, registered[2]!.keyId);
    assert.equal(key.address.toLowerCase(), registered[2]!.address);
    // A second time the path is already derived (409): the key is read back, the same one.
    const again = await ensureDepositKey(admin, registered[2]!, { walletId, account: 0, index: 7, label: 'dep-carol-7' });
    assert.deepEqual([again.keyId, again.address], [key.keyId, key.address]);
    const other = await ensureDepositKey(admin, registered[0]!, { walletId, account: 0, index: 0, label: 'dep-carol-0' });
    assert.equal(other.address.toLowerCase(), registered[0]!.address);
  });

  test("refused: another account's xpub, an xprv, an index out of range", () => {
    assert.throws(() => addressFromAccountXpub(xpub, 1, 0), badEntry);
    const xprv = HDKey.fromMasterSeed(new Uint8Array(64).fill(7)).derive("m/44'/60'/0'").privateExtendedKey;
    assert.throws(() => addressFromAccountXpub(xprv, 0, 0), badEntry);
    assert.throws(() => addressFromAccountXpub(xpub, 0, 2 ** 31), badEntry);
    assert.throws(() => addressFromAccountXpub('xpub-nonsense', 0, 0), badEntry);
  });
});
