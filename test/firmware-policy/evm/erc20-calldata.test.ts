// ERC-20 calldata decoding: selectors are keccak256 of their signatures, round trips against viem's
// encodeFunctionData, strict ABI layout (exact length, zero address padding), and a fuzz property:
// hostile bytes only ever raise ApplianceError('bad_request').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { encodeFunctionData, erc20Abi, parseAbi, type Hex } from 'viem';
import { ApplianceError } from '../../../protocol/errors.js';
import { MAX_UINT256, TOKEN_CALL_SELECTORS, TOKEN_CALL_SIGNATURES, decodeTokenCall, type KnownTokenCallKind } from '../../../firmware-policy/evm/erc20-calldata.js';

const bytes = (h: Hex | string): Uint8Array => hexToBytes(h.replace(/^0x/, ''));
const hex = (b: Uint8Array): Hex => `0x${bytesToHex(b)}`;
const isBadRequest = (e: unknown): boolean => e instanceof ApplianceError && e.code === 'bad_request';
const fieldIs =
  (field: string) =>
  (e: unknown): boolean =>
    isBadRequest(e) && (e as ApplianceError).details?.['field'] === field;

const increaseAllowanceAbi = parseAbi(['function increaseAllowance(address spender, uint256 addedValue) returns (bool)']);
const alice = '0x00000000000000000000000000000000000a11ce' as const;
const bob = '0xb0b0000000000000000000000000000000000b0b' as const;

test('selectors are the first 4 bytes of keccak256 of the signatures', () => {
  const expected: Record<KnownTokenCallKind, string> = {
    transfer: 'transfer(address,uint256)',
    transferFrom: 'transferFrom(address,address,uint256)',
    approve: 'approve(address,uint256)',
    increaseAllowance: 'increaseAllowance(address,uint256)',
  };
  for (const kind of Object.keys(expected) as KnownTokenCallKind[]) {
    assert.equal(TOKEN_CALL_SIGNATURES[kind], expected[kind]);
    const h = keccak_256(new TextEncoder().encode(expected[kind]));
    assert.equal(TOKEN_CALL_SELECTORS[kind], bytesToHex(h.slice(0, 4)), kind);
  }
  assert.deepEqual(TOKEN_CALL_SELECTORS, { transfer: 'a9059cbb', transferFrom: '23b872dd', approve: '095ea7b3', increaseAllowance: '39509351' });
});

test('round trips against viem encodeFunctionData', () => {
  const amounts = [0n, 1n, 10n ** 18n, MAX_UINT256];
  for (const amount of amounts) {
    assert.deepEqual(decodeTokenCall(bytes(encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [bob, amount] }))), {
      kind: 'transfer',
      recipient: bytes(bob),
      amount,
    });
    assert.deepEqual(decodeTokenCall(bytes(encodeFunctionData({ abi: erc20Abi, functionName: 'transferFrom', args: [alice, bob, amount] }))), {
      kind: 'transferFrom',
      from: bytes(alice),
      recipient: bytes(bob),
      amount,
    });
    assert.deepEqual(decodeTokenCall(bytes(encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [bob, amount] }))), {
      kind: 'approve',
      spender: bytes(bob),
      amount,
    });
    assert.deepEqual(decodeTokenCall(bytes(encodeFunctionData({ abi: increaseAllowanceAbi, functionName: 'increaseAllowance', args: [bob, amount] }))), {
      kind: 'increaseAllowance',
      spender: bytes(bob),
      amount,
    });
  }
});

test('property: any address and amount round trip through viem', () => {
  const address = fc.uint8Array({ minLength: 20, maxLength: 20 });
  const amount = fc.bigInt({ min: 0n, max: MAX_UINT256 });
  fc.assert(
    fc.property(address, address, amount, (from, to, value) => {
      const data = encodeFunctionData({ abi: erc20Abi, functionName: 'transferFrom', args: [hex(from), hex(to), value] });
      assert.deepEqual(decodeTokenCall(bytes(data)), { kind: 'transferFrom', from, recipient: to, amount: value });
    }),
    { numRuns: 300 },
  );
});

test('unlimited approve decodes to MAX_UINT256', () => {
  assert.equal(MAX_UINT256, 2n ** 256n - 1n);
  const data = bytes(`0x095ea7b3${'0'.repeat(24)}${bob.slice(2)}${'f'.repeat(64)}`);
  const call = decodeTokenCall(data);
  assert.equal(call?.kind, 'approve');
  assert.equal(call?.kind === 'approve' && call.amount === MAX_UINT256, true);
});

test('empty data is null; other selectors are unknown with their selector', () => {
  assert.equal(decodeTokenCall(new Uint8Array(0)), null);
  const balanceOf = bytes(encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [bob] }));
  assert.deepEqual(decodeTokenCall(balanceOf), { kind: 'unknown', selector: balanceOf.slice(0, 4) });
  assert.deepEqual(decodeTokenCall(Uint8Array.of(1, 2, 3, 4)), { kind: 'unknown', selector: Uint8Array.of(1, 2, 3, 4) });
});

test('malformed calldata is bad_request naming the field', () => {
  const transfer = bytes(encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [bob, 5n] }));
  assert.throws(() => decodeTokenCall(Uint8Array.of(0xa9)), fieldIs('selector'));
  assert.throws(() => decodeTokenCall(transfer.slice(0, 3)), fieldIs('selector'));
  assert.throws(() => decodeTokenCall(transfer.slice(0, 4)), fieldIs('data'));
  assert.throws(() => decodeTokenCall(transfer.slice(0, 67)), fieldIs('data'));
  const trailing = new Uint8Array(transfer.length + 1);
  trailing.set(transfer);
  assert.throws(() => decodeTokenCall(trailing), fieldIs('data'));
  const extraWord = new Uint8Array(transfer.length + 32);
  extraWord.set(transfer);
  assert.throws(() => decodeTokenCall(extraWord), fieldIs('data'));
  // Dirty padding in each address word.
  const dirty = transfer.slice();
  dirty[4] = 1;
  assert.throws(() => decodeTokenCall(dirty), fieldIs('recipient'));
  const from = bytes(encodeFunctionData({ abi: erc20Abi, functionName: 'transferFrom', args: [alice, bob, 5n] }));
  const dirtyFrom = from.slice();
  dirtyFrom[4 + 11] = 0x80;
  assert.throws(() => decodeTokenCall(dirtyFrom), fieldIs('from'));
  const dirtyTo = from.slice();
  dirtyTo[4 + 32] = 0xff;
  assert.throws(() => decodeTokenCall(dirtyTo), fieldIs('recipient'));
  const approve = bytes(encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [bob, 5n] }));
  approve[15] = 1;
  assert.throws(() => decodeTokenCall(approve), fieldIs('spender'));
  assert.throws(() => decodeTokenCall('0xa9059cbb' as unknown as Uint8Array), isBadRequest);
});

test('fuzz: random bytes, and known selectors followed by random bytes, only throw bad_request', () => {
  const selector = fc.constantFrom(...Object.values(TOKEN_CALL_SELECTORS).map((s) => bytes(s)));
  const data = fc.oneof(
    fc.uint8Array({ maxLength: 120 }),
    fc.tuple(selector, fc.uint8Array({ maxLength: 130 })).map(([s, rest]) => {
      const out = new Uint8Array(4 + rest.length);
      out.set(s);
      out.set(rest, 4);
      return out;
    }),
  );
  fc.assert(
    fc.property(data, (d) => {
      try {
        const call = decodeTokenCall(d);
        if (call !== null && call.kind !== 'unknown') assert.equal(d.length % 32, 4);
      } catch (e) {
        if (!isBadRequest(e)) throw e;
      }
    }),
    { numRuns: 5000 },
  );
});
