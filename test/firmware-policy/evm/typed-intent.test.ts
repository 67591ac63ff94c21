// classifyTypedData: what a typed-data signature grants. EIP-2612 Permit (digest checked against
// viem's hashTypedData), DAI-style permit, Uniswap Permit2 (PermitSingle, PermitBatch,
// PermitTransferFrom, PermitBatchTransferFrom, PermitWitnessTransferFrom), and unrelated or
// look-alike types read as 'other'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { hashTypedData } from 'viem';
import { ApplianceError } from '../../../protocol/errors.js';
import { classifyTypedData, typedDataDigest, type TypedData } from '../../../firmware-policy/evm/eip712.js';
import { PERMIT_DETAILS_TYPE, PERMIT_TYPE, TOKEN_DOMAIN_TYPE, TOKEN_PERMISSIONS_TYPE } from '../../helpers/typed-data-fixtures.js';

const bytes = (h: string): Uint8Array => hexToBytes(h.replace(/^0x/, ''));
const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;
const isBadRequest = (e: unknown): boolean => e instanceof ApplianceError && e.code === 'bad_request';
const MAX_UINT256 = 2n ** 256n - 1n;

const token = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
const owner = '0x1111111111111111111111111111111111111111';
const spender = '0x2222222222222222222222222222222222222222';
const permit2Address = '0x000000000022D473030F116dDEE9F6B43aC78BA3';

const permit: TypedData = {
  types: { EIP712Domain: TOKEN_DOMAIN_TYPE, Permit: PERMIT_TYPE },
  primaryType: 'Permit',
  domain: { name: 'USD Coin', version: '2', chainId: 1, verifyingContract: token },
  message: { owner, spender, value: '1000000', nonce: 0, deadline: '0x6553f100' },
};

test('EIP-2612 Permit: digest equals viem, intent names token, owner, spender, value, nonce, deadline', () => {
  const theirs = hashTypedData({
    domain: { name: 'USD Coin', version: '2', chainId: 1, verifyingContract: token },
    types: { Permit: permit.types['Permit'] as never },
    primaryType: 'Permit',
    message: { owner, spender, value: 1000000n, nonce: 0n, deadline: 0x6553f100n } as never,
  });
  assert.equal(hex(typedDataDigest(permit)), theirs);
  assert.deepEqual(classifyTypedData(permit), {
    kind: 'permit',
    token: bytes(token),
    owner: bytes(owner),
    spender: bytes(spender),
    value: 1000000n,
    deadline: 0x6553f100n,
    nonce: 0n,
  });
  // No verifyingContract in the domain: the token is unknown.
  const { EIP712Domain: _, ...types } = permit.types;
  const anonymous = classifyTypedData({ ...permit, types, domain: { name: 'USD Coin', chainId: 1 } });
  assert.equal(anonymous.kind === 'permit' && anonymous.token, null);
});

test('DAI-style permit: allowed=true is an unlimited allowance, expiry 0 never expires', () => {
  const dai: TypedData = {
    types: {
      Permit: [
        { name: 'holder', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'nonce', type: 'uint256' },
        { name: 'expiry', type: 'uint256' },
        { name: 'allowed', type: 'bool' },
      ],
    },
    primaryType: 'Permit',
    domain: { name: 'Dai Stablecoin', version: '1', chainId: 1, verifyingContract: '0x6b175474e89094c44da98b954eedeac495271d0f' },
    message: { holder: owner, spender, nonce: 3, expiry: 0, allowed: true },
  };
  const intent = classifyTypedData(dai);
  assert.equal(intent.kind, 'permit');
  assert.ok(intent.kind === 'permit');
  assert.equal(intent.value, MAX_UINT256);
  assert.equal(intent.deadline, MAX_UINT256);
  assert.equal(intent.nonce, 3n);
  assert.deepEqual(intent.owner, bytes(owner));
  const revoke = classifyTypedData({ ...dai, message: { holder: owner, spender, nonce: 3, expiry: 1700000000, allowed: false } });
  assert.ok(revoke.kind === 'permit' && revoke.value === 0n && revoke.deadline === 1700000000n);
});

const permit2Domain = { name: 'Permit2', chainId: 1, verifyingContract: permit2Address };

test('Permit2 PermitSingle: spender, token, amount, allowance expiration and sigDeadline', () => {
  const td: TypedData = {
    types: {
      PermitSingle: [
        { name: 'details', type: 'PermitDetails' },
        { name: 'spender', type: 'address' },
        { name: 'sigDeadline', type: 'uint256' },
      ],
      PermitDetails: PERMIT_DETAILS_TYPE,
    },
    primaryType: 'PermitSingle',
    domain: permit2Domain,
    message: {
      details: { token, amount: '1461501637330902918203684832716283019655932542975', expiration: 1720000000, nonce: 0 },
      spender,
      sigDeadline: '1710000000',
    },
  };
  assert.equal(hex(typedDataDigest(td)), hashTypedData({ ...td, message: td.message as never } as never));
  assert.deepEqual(classifyTypedData(td), {
    kind: 'permit2',
    spender: bytes(spender),
    tokens: [{ token: bytes(token), amount: 2n ** 160n - 1n, expiration: 1720000000n }],
    deadline: 1710000000n,
    variant: 'PermitSingle',
  });
  // uint160 and uint48 ranges are enforced.
  const tooMuch = { ...td, message: { ...td.message, details: { token, amount: (2n ** 160n).toString(), expiration: 0, nonce: 0 } } };
  assert.throws(
    () => classifyTypedData(tooMuch),
    (e) => isBadRequest(e) && (e as ApplianceError).details?.['field'] === 'message.details.amount',
  );
});

test('Permit2 PermitBatch and SignatureTransfer forms', () => {
  const other = '0xdac17f958d2ee523a2206206994597c13d831ec7';
  const batch = classifyTypedData({
    types: {
      PermitBatch: [
        { name: 'details', type: 'PermitDetails[]' },
        { name: 'spender', type: 'address' },
        { name: 'sigDeadline', type: 'uint256' },
      ],
      PermitDetails: PERMIT_DETAILS_TYPE,
    },
    primaryType: 'PermitBatch',
    domain: permit2Domain,
    message: {
      details: [
        { token, amount: 5, expiration: 9, nonce: 1 },
        { token: other, amount: 7, expiration: 0, nonce: 2 },
      ],
      spender,
      sigDeadline: 100,
    },
  });
  assert.deepEqual(batch, {
    kind: 'permit2',
    spender: bytes(spender),
    tokens: [
      { token: bytes(token), amount: 5n, expiration: 9n },
      { token: bytes(other), amount: 7n, expiration: 0n },
    ],
    deadline: 100n,
    variant: 'PermitBatch',
  });

  const transferFields = [
    { name: 'spender', type: 'address' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ];
  const single = classifyTypedData({
    types: { PermitTransferFrom: [{ name: 'permitted', type: 'TokenPermissions' }, ...transferFields], TokenPermissions: TOKEN_PERMISSIONS_TYPE },
    primaryType: 'PermitTransferFrom',
    domain: permit2Domain,
    message: { permitted: { token, amount: '0x10' }, spender, nonce: 77, deadline: 200 },
  });
  assert.deepEqual(single, { kind: 'permit2', spender: bytes(spender), tokens: [{ token: bytes(token), amount: 16n, expiration: null }], deadline: 200n, variant: 'PermitTransferFrom' });

  const batchTransfer = classifyTypedData({
    types: { PermitBatchTransferFrom: [{ name: 'permitted', type: 'TokenPermissions[]' }, ...transferFields], TokenPermissions: TOKEN_PERMISSIONS_TYPE },
    primaryType: 'PermitBatchTransferFrom',
    domain: permit2Domain,
    message: {
      permitted: [
        { token, amount: 1 },
        { token: other, amount: 2 },
      ],
      spender,
      nonce: 1,
      deadline: 300,
    },
  });
  assert.ok(batchTransfer.kind === 'permit2' && batchTransfer.tokens.length === 2 && batchTransfer.deadline === 300n);

  const witnessTd: TypedData = {
    types: {
      PermitWitnessTransferFrom: [{ name: 'permitted', type: 'TokenPermissions' }, ...transferFields, { name: 'witness', type: 'Order' }],
      TokenPermissions: TOKEN_PERMISSIONS_TYPE,
      Order: [
        { name: 'recipient', type: 'address' },
        { name: 'minOut', type: 'uint256' },
      ],
    },
    primaryType: 'PermitWitnessTransferFrom',
    domain: permit2Domain,
    message: { permitted: { token, amount: 9 }, spender, nonce: 5, deadline: 400, witness: { recipient: owner, minOut: 1 } },
  };
  assert.equal(hex(typedDataDigest(witnessTd)), hashTypedData({ ...witnessTd, message: witnessTd.message as never } as never));
  const witness = classifyTypedData(witnessTd);
  assert.ok(witness.kind === 'permit2' && witness.variant === 'PermitWitnessTransferFrom' && witness.tokens[0]?.amount === 9n);
});

test('unrelated and look-alike types are other; invalid ones are bad_request', () => {
  const mail: TypedData = {
    types: { Mail: [{ name: 'contents', type: 'string' }] },
    primaryType: 'Mail',
    domain: { name: 'Ether Mail', chainId: 1 },
    message: { contents: 'hi' },
  };
  assert.deepEqual(classifyTypedData(mail), { kind: 'other', primaryType: 'Mail' });
  // A Permit with a field too many, or a Permit2 name with another nested layout, is not understood.
  const { EIP712Domain: _, ...permitTypes } = permit.types;
  const fat = {
    ...permit,
    types: { Permit: [...(permitTypes['Permit'] ?? []), { name: 'memo', type: 'string' }] },
    message: { ...permit.message, memo: 'x' },
  };
  assert.deepEqual(classifyTypedData(fat), { kind: 'other', primaryType: 'Permit' });
  const oddSingle = classifyTypedData({
    types: {
      PermitSingle: [
        { name: 'details', type: 'PermitDetails' },
        { name: 'spender', type: 'address' },
        { name: 'sigDeadline', type: 'uint256' },
      ],
      PermitDetails: [{ name: 'token', type: 'address' }],
    },
    primaryType: 'PermitSingle',
    domain: permit2Domain,
    message: { details: { token }, spender, sigDeadline: 1 },
  });
  assert.deepEqual(oddSingle, { kind: 'other', primaryType: 'PermitSingle' });
  // Classification validates everything first.
  assert.throws(() => classifyTypedData({ ...permit, message: { ...permit.message, value: -1 } }), isBadRequest);
  assert.throws(() => classifyTypedData({ ...permit, message: { ...permit.message, sneaky: 1 } }), isBadRequest);
  assert.throws(() => classifyTypedData({ ...permit, domain: { ...permit.domain, chainId: 'one' } }), isBadRequest);
});
