// The decoded intent and its digest (firmware-policy/intent.ts, DESIGN.md "Wire protocol"): SHA-256
// of the canonical encoding of key, chain, nonce and the economic effect; fee fields stay outside so
// a fee bump keeps its approvals; pre-EIP-155 transactions are refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ApplianceError } from '../../protocol/errors.js';
import { encodeCanonical } from '../../protocol/cbor.js';
import { intentDigest, intentFromEvmTx, intentToCbor, type TransferIntent } from '../../firmware-policy/intent.js';
import type { EvmTx } from '../../firmware-policy/evm/transaction.js';

const hex = bytesToHex;
const TO = new Uint8Array(20).fill(0x11);
const OTHER_TO = new Uint8Array(20).fill(0x22);

type Legacy = Extract<EvmTx, { type: 'legacy' }>;
type Eip1559 = Extract<EvmTx, { type: 'eip1559' }>;
type Eip2930 = Extract<EvmTx, { type: 'eip2930' }>;

function legacy(over: Partial<Legacy> = {}): Legacy {
  return { type: 'legacy', chainId: 31337n, nonce: 5n, gasPrice: 20_000_000_000n, gasLimit: 21_000n, to: TO, value: 10n ** 18n, data: new Uint8Array(0), ...over };
}

function eip1559(over: Partial<Eip1559> = {}): Eip1559 {
  return {
    type: 'eip1559',
    chainId: 31337n,
    nonce: 5n,
    maxPriorityFeePerGas: 1_000_000_000n,
    maxFeePerGas: 30_000_000_000n,
    gasLimit: 21_000n,
    to: TO,
    value: 10n ** 18n,
    data: new Uint8Array(0),
    accessList: [],
    ...over,
  };
}

function eip2930(over: Partial<Eip2930> = {}): Eip2930 {
  return { type: 'eip2930', chainId: 31337n, nonce: 5n, gasPrice: 20_000_000_000n, gasLimit: 21_000n, to: TO, value: 10n ** 18n, data: new Uint8Array(0), accessList: [], ...over };
}

const digestOf = (tx: EvmTx, keyId = 'key-1'): string => hex(intentDigest(intentFromEvmTx(keyId, tx)));

describe('intent from an EVM transaction', () => {
  test('carries key, chain, nonce, native asset id, recipient, amount and data', () => {
    const tx = legacy({ data: Uint8Array.of(1, 2, 3, 4) });
    const i = intentFromEvmTx('key-1', tx);
    assert.deepEqual(i, {
      kind: 'contract-call',
      contract: TO,
      selector: Uint8Array.of(1, 2, 3, 4),
      gasLimit: 21_000n,
      keyId: 'key-1',
      chainId: 31337n,
      nonce: 5n,
      asset: '31337:native',
      to: TO,
      amount: 10n ** 18n,
      data: Uint8Array.of(1, 2, 3, 4),
      maxFee: 21_000n * 20_000_000_000n,
      maxFeePerGas: 20_000_000_000n,
      maxPriorityFeePerGas: 20_000_000_000n,
    } satisfies TransferIntent);
    assert.equal(intentFromEvmTx('k', legacy({ to: null })).to, null);
    assert.throws(
      () => intentFromEvmTx('k', legacy({ data: Uint8Array.of(1, 2) })),
      (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
      '1-3 bytes of calldata are malformed',
    );
  });

  test('an ERC-20 transfer names the token asset, the calldata recipient and amount', () => {
    const recipient = new Uint8Array(20).fill(0x42);
    const data = Uint8Array.from([0xa9, 0x05, 0x9c, 0xbb, ...new Uint8Array(12), ...recipient, ...new Uint8Array(31), 7]);
    const i = intentFromEvmTx('k', legacy({ data, value: 0n }));
    assert.equal(i.kind, 'erc20-transfer');
    assert.deepEqual(i.to, recipient);
    assert.equal(i.amount, 7n);
    assert.deepEqual(i.contract, TO);
    assert.equal(i.asset, `31337:erc20:0x${Buffer.from(TO).toString('hex')}`);
  });

  test('maxFee is the worst case: gasLimit × gasPrice (legacy, EIP-2930) or gasLimit × maxFeePerGas (EIP-1559)', () => {
    assert.equal(intentFromEvmTx('k', legacy({ gasLimit: 50_000n, gasPrice: 7n })).maxFee, 350_000n);
    assert.equal(intentFromEvmTx('k', eip2930({ gasLimit: 50_000n, gasPrice: 9n })).maxFee, 450_000n);
    assert.equal(intentFromEvmTx('k', eip1559({ gasLimit: 50_000n, maxFeePerGas: 11n, maxPriorityFeePerGas: 2n })).maxFee, 550_000n);
    const big = (1n << 256n) - 1n;
    assert.equal(intentFromEvmTx('k', eip1559({ gasLimit: (1n << 64n) - 1n, maxFeePerGas: big, maxPriorityFeePerGas: 0n })).maxFee, ((1n << 64n) - 1n) * big, 'no overflow or rounding');
  });

  test('a pre-EIP-155 legacy transaction (chainId null) is refused with bad_request', () => {
    assert.throws(
      () => intentFromEvmTx('key-1', legacy({ chainId: null })),
      (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
    );
  });
});

describe('intent digest', () => {
  test('is 32 bytes: SHA-256 of the canonical encoding of the intent without fee fields', () => {
    const i = intentFromEvmTx('key-1', eip1559());
    const d = intentDigest(i);
    assert.ok(d instanceof Uint8Array);
    assert.equal(d.length, 32);
    assert.equal(hex(d), hex(sha256(encodeCanonical(intentToCbor(i)))));
    assert.ok(!('maxFee' in intentToCbor(i)), 'maxFee is not in the digested map');
  });

  test('matches a hand-built RFC 8949 §4.2.1 encoding (keys sorted length-first, then bytewise)', () => {
    const i = intentFromEvmTx('k1', legacy({ chainId: 1n, nonce: 0n, value: 1n, to: TO }));
    const expected =
      'a8' +
      '62746f' +
      '54' +
      '11'.repeat(20) + // "to": h'1111…'
      '6464617461' +
      '40' + // "data": h''
      '646b696e64' +
      '6c' +
      hex(new TextEncoder().encode('evm-transfer')) + // "kind"
      '656173736574' +
      '68' +
      hex(new TextEncoder().encode('1:native')) + // "asset"
      '656b65794964' +
      '62' +
      '6b31' + // "keyId": "k1"
      '656e6f6e6365' +
      '00' + // "nonce": 0
      '66616d6f756e74' +
      '01' + // "amount": 1
      '67636861696e4964' +
      '01'; // "chainId": 1
    assert.equal(hex(encodeCanonical(intentToCbor(i))), expected);
    assert.equal(hex(intentDigest(i)), hex(sha256(hexToBytes(expected))));
  });

  test('excludes fee fields: transactions differing only in gas price, max fees or gas limit have one digest', () => {
    const base = digestOf(legacy());
    assert.equal(digestOf(legacy({ gasPrice: 1n })), base);
    assert.equal(digestOf(legacy({ gasPrice: 10n ** 30n })), base);
    assert.equal(digestOf(legacy({ gasLimit: 100_000n })), base);
    const b1559 = digestOf(eip1559());
    assert.equal(digestOf(eip1559({ maxFeePerGas: 60_000_000_000n })), b1559);
    assert.equal(digestOf(eip1559({ maxPriorityFeePerGas: 0n })), b1559);
    assert.equal(digestOf(eip1559({ gasLimit: 30_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n })), b1559);
    const b2930 = digestOf(eip2930());
    assert.equal(digestOf(eip2930({ gasPrice: 3n, gasLimit: 99_999n })), b2930);
    // while the fee bound itself does change
    assert.notEqual(intentFromEvmTx('k', legacy()).maxFee, intentFromEvmTx('k', legacy({ gasPrice: 1n })).maxFee);
  });

  test('changes with nonce, to, value, data, chainId and keyId (each change a distinct digest)', () => {
    const variants: Record<string, string> = {
      base: digestOf(eip1559()),
      'nonce + 1': digestOf(eip1559({ nonce: 6n })),
      'nonce 0': digestOf(eip1559({ nonce: 0n })),
      'other to': digestOf(eip1559({ to: OTHER_TO })),
      'to null': digestOf(eip1559({ to: null })),
      'value + 1': digestOf(eip1559({ value: 10n ** 18n + 1n })),
      'value 0': digestOf(eip1559({ value: 0n })),
      'data 0x00000001': digestOf(eip1559({ data: Uint8Array.of(0, 0, 0, 1) })),
      'data 0x0000000100': digestOf(eip1559({ data: Uint8Array.of(0, 0, 0, 1, 0) })),
      'chainId 1': digestOf(eip1559({ chainId: 1n })),
      'chainId 31338': digestOf(eip1559({ chainId: 31338n })),
      'keyId key-2': digestOf(eip1559(), 'key-2'),
    };
    const seen = new Map<string, string>();
    for (const [name, d] of Object.entries(variants)) {
      assert.equal(d.length, 64);
      assert.ok(!seen.has(d), `"${name}" has the same digest as "${seen.get(d)}"`);
      seen.set(d, name);
    }
  });

  test('property: fee fields never change the digest; nonce always does', () => {
    const fee = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });
    const gas = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(fee, fee, gas, fee, gas, fc.bigInt({ min: 0n, max: (1n << 64n) - 2n }), (maxFee, prio, gasLimit, gasPrice, gasLimit2, nonce) => {
        const a = eip1559({ nonce, maxFeePerGas: maxFee, maxPriorityFeePerGas: prio, gasLimit });
        const b = eip1559({ nonce, gasLimit: gasLimit2 });
        assert.equal(digestOf(a), digestOf(b));
        assert.equal(digestOf(legacy({ nonce, gasPrice, gasLimit })), digestOf(legacy({ nonce, gasLimit: gasLimit2 })));
        assert.notEqual(digestOf(eip1559({ nonce })), digestOf(eip1559({ nonce: nonce + 1n })));
      }),
      { seed: 1559, numRuns: 200 },
    );
  });

  test('is deterministic and does not depend on field order or object identity', () => {
    const i = intentFromEvmTx('key-1', eip1559());
    const shuffled: TransferIntent = {
      maxFee: 0n,
      data: Uint8Array.from(i.data),
      amount: i.amount,
      to: Uint8Array.from(TO),
      asset: i.asset,
      nonce: i.nonce,
      chainId: i.chainId,
      keyId: i.keyId,
      kind: i.kind,
    };
    assert.equal(hex(intentDigest(shuffled)), hex(intentDigest(i)));
    assert.equal(hex(intentDigest(i)), hex(intentDigest(i)));
  });
});
