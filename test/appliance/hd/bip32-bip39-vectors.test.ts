// The derivation module (appliance/hd/hd-derivation.ts) against the standards' own vectors: BIP-32
// test vectors 1-3 (test/vectors/bip32) and the English BIP-39 vectors of trezor/python-mnemonic
// (test/vectors/bip39), and its Ethereum paths against public derivation from the account xpub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { readVectorJson } from '../../helpers/vectors.js';
import {
  accountPath,
  addressPath,
  derivePrivate,
  extendedPrivateKeyForVectors,
  extendedPublicKey,
  mnemonicFromEntropy,
  parseAddressPath,
  publicKeyFromXpub,
  seedFromMnemonic,
} from '../../../appliance/hd/hd-derivation.js';
import { ApplianceError } from '../../../protocol/errors.js';

interface Bip32Vectors {
  vectors: { name: string; seed: string; chains: { path: string; xpub: string; xprv: string }[] }[];
}

const bip32 = readVectorJson<Bip32Vectors>('bip32', 'bip-0032-test-vectors.json');
const bip39 = readVectorJson<{ english: [string, string, string, string][] }>('bip39', 'trezor-vectors-english.json');
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('BIP-32 test vectors 1, 2 and 3: every chain gives the published xprv and xpub', () => {
  assert.deepEqual(
    bip32.vectors.map((v) => v.name.slice(0, 13)),
    ['test vector 1', 'test vector 2', 'test vector 3'],
  );
  let chains = 0;
  for (const v of bip32.vectors) {
    const seed = Buffer.from(v.seed, 'hex');
    for (const c of v.chains) {
      assert.equal(extendedPrivateKeyForVectors(seed, c.path), c.xprv, `${v.name} ${c.path} xprv`);
      assert.equal(extendedPublicKey(seed, c.path), c.xpub, `${v.name} ${c.path} xpub`);
      chains++;
    }
  }
  assert.equal(chains, 14);
});

test('BIP-32 vector 3 (leading zeros): the derived private key keeps its 32 bytes', () => {
  const v = bip32.vectors[2]!;
  const key = derivePrivate(Buffer.from(v.seed, 'hex'), 'm');
  assert.equal(key.privateKey.length, 32);
  assert.equal(key.privateKey[0], 0, 'the master key of vector 3 starts with a zero byte');
  assert.equal(hexOf(key.publicKey), hexOf(secp256k1.getPublicKey(key.privateKey, false)));
});

test('BIP-39 English vectors (trezor): entropy → mnemonic, mnemonic + "TREZOR" → seed → master xprv', () => {
  assert.ok(bip39.english.length >= 24);
  for (const [entropy, mnemonic, seed, xprv] of bip39.english) {
    assert.equal(mnemonicFromEntropy(Buffer.from(entropy, 'hex')), mnemonic);
    const s = seedFromMnemonic(mnemonic, 'TREZOR');
    assert.equal(hexOf(s), seed);
    assert.equal(extendedPrivateKeyForVectors(s, 'm'), xprv);
  }
});

test('a mnemonic with a wrong checksum word is refused', () => {
  const words = bip39.english[0]![1].split(' ');
  words[words.length - 1] = 'abandon';
  assert.throws(
    () => seedFromMnemonic(words.join(' ')),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
  );
});

test("Ethereum paths: m/44'/60'/a'/0/i, parsed back, and the account xpub derives the same public keys", () => {
  const seed = seedFromMnemonic(bip39.english[3]![1]);
  assert.equal(accountPath(7), "m/44'/60'/7'");
  assert.equal(addressPath(7, 12), "m/44'/60'/7'/0/12");
  assert.deepEqual(parseAddressPath("m/44'/60'/7'/0/12"), { account: 7, index: 12 });
  for (const bad of ["m/44'/60'/7/0/12", "m/44'/60'/7'/1/0", "m/44'/60'/2147483648'/0/0", 'm/0'])
    assert.throws(
      () => parseAddressPath(bad),
      (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
      bad,
    );
  assert.throws(
    () => addressPath(0, -1),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
  );
  const xpub = extendedPublicKey(seed, accountPath(2));
  for (const i of [0, 1, 99]) assert.equal(hexOf(publicKeyFromXpub(xpub, i)), hexOf(derivePrivate(seed, addressPath(2, i)).publicKey), `index ${i}`);
});
