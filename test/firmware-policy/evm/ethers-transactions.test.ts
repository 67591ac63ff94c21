// ethers.js transaction test cases (vectors/ethers/transactions.json, 200 entries): for each
// transaction type present (legacy pre-EIP-155, EIP-155, Berlin = EIP-2930, London = EIP-1559),
// our unsigned and signed serialisations equal theirs, the signing digest is keccak of their
// unsigned bytes, and signing that digest with their key (noble secp256k1, RFC 6979, low-s) and
// then normalizeSignature reproduces their signed bytes. Cancun (type 3, blobs) is not a type the
// signer accepts: both its forms must be refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { decodeRlp, decodeUint, type RlpItem } from '../../../firmware-policy/evm/rlp.js';
import {
  decodeSigned,
  decodeUnsigned,
  serializeSigned,
  serializeUnsigned,
  signingDigest,
  validateTx,
  type AccessListEntry,
  type EvmTx,
  type TxSignature,
} from '../../../firmware-policy/evm/transaction.js';
import { normalizeSignature } from '../../../firmware-policy/evm/secp256k1-signature.js';
import { readVectorJson } from '../../helpers/vectors.js';

interface EthersTx {
  to?: string;
  nonce?: number;
  gasLimit?: string;
  gasPrice?: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  data?: string;
  value?: string;
  accessList?: { address: string; storageKeys: string[] }[];
  chainId?: string;
}
interface EthersSig {
  r: string;
  s: string;
  v: string;
}
type Variant = 'Legacy' | 'Eip155' | 'Berlin' | 'London' | 'Cancun';
type EthersCase = { name: string; transaction: EthersTx; privateKey: string } & {
  [K in `unsigned${Variant}` | `signed${Variant}`]: string;
} & { [K in `signature${Variant}`]: EthersSig };

const bytes = (h: string): Uint8Array => hexToBytes(h.replace(/^0x/, ''));
const big = (h: string | number | undefined): bigint => (h === undefined || h === '' ? 0n : BigInt(h));
const isBadRequest = (e: unknown): boolean => e instanceof ApplianceError && e.code === 'bad_request';

function txFor(variant: Exclude<Variant, 'Cancun'>, t: EthersTx): EvmTx {
  const common = {
    nonce: big(t.nonce),
    gasLimit: big(t.gasLimit),
    to: t.to === undefined ? null : bytes(t.to),
    value: big(t.value),
    data: t.data === undefined ? new Uint8Array(0) : bytes(t.data),
  };
  const accessList: AccessListEntry[] = (t.accessList ?? []).map((e) => ({ address: bytes(e.address), storageKeys: e.storageKeys.map(bytes) }));
  const chainId = big(t.chainId);
  switch (variant) {
    case 'Legacy':
      return { type: 'legacy', chainId: null, gasPrice: big(t.gasPrice), ...common };
    case 'Eip155':
      return { type: 'legacy', chainId, gasPrice: big(t.gasPrice), ...common };
    case 'Berlin':
      return { type: 'eip2930', chainId, gasPrice: big(t.gasPrice), ...common, accessList };
    case 'London':
      return { type: 'eip1559', chainId, maxPriorityFeePerGas: big(t.maxPriorityFeePerGas), maxFeePerGas: big(t.maxFeePerGas), ...common, accessList };
  }
}

/** The signature as it sits in their signed bytes: the last three RLP fields. */
function signatureFromSignedBytes(tx: EvmTx, signed: Uint8Array): TxSignature {
  const payload = tx.type === 'legacy' ? signed : signed.subarray(1);
  const fields = decodeRlp(payload) as RlpItem[];
  const [v, r, s] = fields.slice(-3).map((f, i) => decodeUint(f, ['v', 'r', 's'][i] as string));
  let parity: bigint;
  if (tx.type !== 'legacy') parity = v as bigint;
  else if (tx.chainId === null) parity = (v as bigint) - 27n;
  else parity = (v as bigint) - 35n - 2n * tx.chainId;
  assert.ok(parity === 0n || parity === 1n, `parity from v=${v}`);
  return { r: r as bigint, s: s as bigint, yParity: parity === 1n ? 1 : 0 };
}

const cases = readVectorJson<EthersCase[]>('ethers', 'transactions.json');
const VARIANTS = ['Legacy', 'Eip155', 'Berlin', 'London'] as const;

test('ethers transactions.json: 200 entries, every present type reproduced byte for byte', (t) => {
  assert.equal(cases.length, 200);
  const checked: Record<string, number> = { Legacy: 0, Eip155: 0, Berlin: 0, London: 0 };
  let decodedBack = 0;
  let refusedChainIdZero = 0;
  for (const c of cases) {
    const priv = bytes(c.privateKey);
    const publicKey = secp256k1.getPublicKey(priv, false);
    for (const variant of VARIANTS) {
      const unsignedHex = c[`unsigned${variant}`];
      if (unsignedHex === '') {
        // ethers emits no EIP-155 form without a chain id
        assert.equal(variant, 'Eip155', `${c.name}: ${variant} missing`);
        assert.equal(c.transaction.chainId, undefined);
        continue;
      }
      const where = `${c.name} ${variant}`;
      const tx = txFor(variant, c.transaction);
      const unsigned = bytes(unsignedHex);
      const signed = bytes(c[`signed${variant}`]);

      assert.equal(bytesToHex(serializeUnsigned(tx)), bytesToHex(unsigned), `${where}: unsigned`);
      const digest = signingDigest(tx);
      assert.equal(bytesToHex(digest), bytesToHex(keccak_256(unsigned)), `${where}: digest`);

      const theirSig = signatureFromSignedBytes(tx, signed);
      const json = c[`signature${variant}`];
      assert.equal(theirSig.r, BigInt(json.r), `${where}: r`);
      assert.equal(theirSig.s, BigInt(json.s), `${where}: s`);
      assert.equal(bytesToHex(serializeSigned(tx, theirSig)), bytesToHex(signed), `${where}: signed`);

      // As the appliance signs: raw r||s over the digest, then normalise.
      const rs = secp256k1.sign(digest, priv, { prehash: false, lowS: true });
      const ours = normalizeSignature(rs, digest, publicKey);
      assert.deepEqual(ours, theirSig, `${where}: normalised signature`);
      assert.equal(bytesToHex(serializeSigned(tx, ours)), bytesToHex(signed), `${where}: signed by us`);

      // Decoding back: everything a chain would accept. Typed transactions without a chain id
      // (chainId 0) are encodable but fail validateTx, so the decoders refuse them.
      if (tx.chainId === 0n) {
        assert.throws(
          () => validateTx(tx),
          (e: unknown) => isBadRequest(e) && /"chainId" must be positive/.test((e as Error).message),
        );
        assert.throws(() => decodeUnsigned(unsigned), isBadRequest, `${where}: decodeUnsigned with chainId 0`);
        assert.throws(() => decodeSigned(signed), isBadRequest, `${where}: decodeSigned with chainId 0`);
        refusedChainIdZero++;
      } else {
        assert.deepEqual(decodeUnsigned(unsigned), tx, `${where}: decodeUnsigned`);
        assert.deepEqual(decodeSigned(signed), { tx, signature: theirSig }, `${where}: decodeSigned`);
        decodedBack++;
      }
      checked[variant] = (checked[variant] as number) + 1;
    }
  }
  const total = Object.values(checked).reduce((a, b) => a + b, 0);
  t.diagnostic(`checked ${total}: ${JSON.stringify(checked)}; decoded back ${decodedBack}, refused (typed, chainId 0) ${refusedChainIdZero}`);
  assert.deepEqual(checked, { Legacy: 200, Eip155: 106, Berlin: 200, London: 200 });
  assert.equal(total, 706);
  assert.equal(decodedBack, 518);
  assert.equal(refusedChainIdZero, 188);
});

test('ethers transactions.json: Cancun (type 3, blob) transactions are refused', (t) => {
  let refused = 0;
  for (const c of cases) {
    if (c.unsignedCancun === '') {
      // ethers emits no blob transaction without a recipient (EIP-4844 has no creation form)
      assert.equal(c.transaction.to, undefined, c.name);
      continue;
    }
    for (const hex of [c.unsignedCancun, c.signedCancun]) {
      const b = bytes(hex);
      assert.equal(b[0], 0x03);
      const isTypeError = (e: unknown): boolean => isBadRequest(e) && /transaction type 3 is not supported/.test((e as Error).message);
      assert.throws(() => decodeUnsigned(b), isTypeError, c.name);
      assert.throws(() => decodeSigned(b), isTypeError, c.name);
      refused++;
    }
  }
  t.diagnostic(`Cancun forms refused: ${refused}`);
  assert.equal(refused, 224); // 112 entries with a recipient × unsigned and signed
});
