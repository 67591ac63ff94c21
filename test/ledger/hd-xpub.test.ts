// The ledger's public derivation from an HD account's xpub (ledger/hd-xpub.ts): for a published
// test-only mnemonic (the Hardhat/anvil default, never a real wallet's), the addresses derived from the
// account xpub at m/44'/60'/a'/0/i are viem's mnemonicToAccount addresses; an extended private key, a
// node that is not the account node m/44'/60'/a', and an index out of range are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { mnemonicToAccount } from 'viem/accounts';
import { accountNodeOf, depositAddressFromXpub, hdAddressPath } from '../../ledger/hd-xpub.js';
import { LedgerError } from '../../ledger/errors.js';

const MNEMONIC = 'test test test test test test test test test test test junk';
const master = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));
const xpubOf = (path: string) => master.derive(path).publicExtendedKey;
const refused = (field?: string) => (e: unknown) => e instanceof LedgerError && e.code === 'bad_entry' && (field === undefined || e.details?.field === field);

test("addresses from the account xpub equal viem's mnemonicToAccount at m/44'/60'/a'/0/i", () => {
  for (const account of [0, 1, 7]) {
    const xpub = xpubOf(`m/44'/60'/${account}'`);
    assert.match(xpub, /^xpub/);
    for (const index of [0, 1, 2, 19, 1000, 0x7fff_ffff]) {
      const viem = mnemonicToAccount(MNEMONIC, { accountIndex: account, addressIndex: index }).address.toLowerCase();
      assert.equal(depositAddressFromXpub(xpub, account, index), viem, `${account}/${index}`);
    }
  }
  // The first anvil account, as every Ethereum developer knows it.
  assert.equal(depositAddressFromXpub(xpubOf("m/44'/60'/0'"), 0, 0), '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
  assert.equal(hdAddressPath(3, 17), "m/44'/60'/3'/0/17");
});

test("only the public account node m/44'/60'/a' is taken: not an xprv, another depth, another account, or garbage", () => {
  const account1 = xpubOf("m/44'/60'/1'");
  assert.equal(accountNodeOf(account1, 1).depth, 3);
  assert.throws(() => accountNodeOf(master.derive("m/44'/60'/1'").privateExtendedKey, 1), refused('xpub'));
  assert.throws(() => accountNodeOf(account1, 2), refused('xpub'), 'the xpub of account 1 is not account 2');
  assert.throws(() => accountNodeOf(xpubOf("m/44'/60'"), 0), refused('xpub'), 'depth 2');
  assert.throws(() => accountNodeOf(xpubOf("m/44'/60'/1'/0"), 1), refused('xpub'), 'depth 4');
  assert.throws(() => accountNodeOf(xpubOf("m/44'/60'/1"), 1), refused('xpub'), 'a non-hardened account');
  assert.throws(() => accountNodeOf('xpub-not-base58', 0), refused('xpub'));
  for (const bad of [-1, 0x8000_0000, 1.5, Number.NaN]) assert.throws(() => depositAddressFromXpub(account1, 1, bad), refused('index'), String(bad));
  assert.throws(() => hdAddressPath(-1, 0), refused('account'));
});
