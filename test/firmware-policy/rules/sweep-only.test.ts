// Sweep groups (firmware-policy/rules/sweep-only.ts, GroupPolicy.sweepTo): a deposit key may send the
// native coin or an ERC-20 asset of its group to the group's one sweep address and nowhere else, needs
// no whitelist entry for it, and is still held by the group's chains, limits and the fee cap; any other
// recipient or call, `transferFrom`, `approve`, a contract creation and any typed data is denied with
// `sweep_only`. The policy document refuses a sweep group with contract or typed-data allowlists, and a
// policy change that sets, moves or removes the address is judged stricter or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { encodeFunctionData, erc20Abi, type Hex } from 'viem';
import { evaluate } from '../../../firmware-policy/evaluate.js';
import { evaluateTypedData } from '../../../firmware-policy/rules/typed-data.js';
import { intentFromEvmTx } from '../../../firmware-policy/intent.js';
import { readTypedRequest } from '../../../firmware-policy/evm/typed-intent.js';
import { erc20AssetId, parsePolicy, policyToCbor, type GroupPolicy, type PolicyDocument } from '../../../firmware-policy/policy-document.js';
import { diffPolicies } from '../../../firmware-policy/policy-change.js';
import type { StateView } from '../../../firmware-policy/state-view.js';
import type { EvmTx } from '../../../firmware-policy/evm/transaction.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { transferWithAuthorizationTypedData } from '../../helpers/typed-data-fixtures.js';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const NOW = 1_700_000_000;
const CHAIN = 31337n;
const HOT = '0x1111111111111111111111111111111111111111';
const ATTACKER = '0x2222222222222222222222222222222222222222';
const TOKEN = '0x3333333333333333333333333333333333333333';
const DEPOSIT = '0x4444444444444444444444444444444444444444';
const TOKEN_ASSET = erc20AssetId(CHAIN, bytes(TOKEN));

function depositGroup(over: Partial<GroupPolicy> = {}): GroupPolicy {
  return {
    chains: [CHAIN],
    whitelistRequired: true,
    holdSeconds: null,
    assets: {
      '31337:native': { perTxMax: 1000n, windows: [{ seconds: 3600, maxAmount: 1500n, maxCount: 10 }], approvalTiers: [] },
      [TOKEN_ASSET]: { perTxMax: 1000n, windows: [], approvalTiers: [] },
    },
    sweepTo: bytes(HOT),
    ...over,
  };
}

function policy(group: GroupPolicy = depositGroup()): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: 'dev',
    defaultHoldSeconds: 0,
    feeCaps: { '31337': { maxGasLimit: 100_000n, maxFeeWei: 10n ** 15n } },
    admins: [{ id: 'admin', alg: 'EdDSA', publicKey: ed25519.getPublicKey(new Uint8Array(32).fill(7)) }],
    adminQuorum: 1,
    approvers: [],
    requesters: [{ id: 'custody' }],
    groups: { deposit: group },
  };
}

/** Nothing whitelisted, nothing spent: a sweep needs neither. */
const emptyView: StateView = { whitelistEntry: () => undefined, windowUsage: () => ({ amount: 0n, count: 0 }) };

function tx(to: string | null, value: bigint, data: Hex | '' = '', over: Partial<EvmTx> = {}): EvmTx {
  return {
    type: 'eip1559',
    chainId: CHAIN,
    nonce: 0n,
    maxPriorityFeePerGas: 1n,
    maxFeePerGas: 2_000_000_000n,
    gasLimit: 21_000n,
    to: to === null ? null : bytes(to),
    value,
    data: data === '' ? new Uint8Array(0) : bytes(data),
    accessList: [],
    ...over,
  } as EvmTx;
}

const judge = (t: EvmTx, p = policy()) => evaluate(p, emptyView, { intent: intentFromEvmTx('dep-1', t), keyGroup: 'deposit', requester: 'custody', keyAddress: bytes(DEPOSIT) }, [], NOW);
const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);
const call = (functionName: 'transfer' | 'approve' | 'transferFrom', args: readonly unknown[]) => encodeFunctionData({ abi: erc20Abi, functionName, args } as never);

test('a native transfer to the sweep address is signed without any whitelist entry', () => {
  const d = judge(tx(HOT, 900n));
  assert.equal(d.outcome, 'allow', JSON.stringify(codes(d)));
  assert.deepEqual(d.reserve, { keyId: 'dep-1', asset: '31337:native', amount: 900n });
});

test('an ERC-20 transfer of a group asset to the sweep address is signed', () => {
  const d = judge(tx(TOKEN, 0n, call('transfer', [HOT, 500n]), { gasLimit: 60_000n }));
  assert.equal(d.outcome, 'allow', JSON.stringify(codes(d)));
});

test('any other recipient is denied with sweep_only, native or token', () => {
  assert.deepEqual(codes(judge(tx(ATTACKER, 900n))), ['sweep_only']);
  assert.deepEqual(codes(judge(tx(TOKEN, 0n, call('transfer', [ATTACKER, 500n]), { gasLimit: 60_000n }))), ['sweep_only']);
});

test('approve, transferFrom (even to the sweep address), other calls, calldata on a native transfer and contract creation are denied', () => {
  const cases: [string, EvmTx][] = [
    ['approve to attacker', tx(TOKEN, 0n, call('approve', [ATTACKER, 500n]), { gasLimit: 60_000n })],
    ['approve to the sweep address', tx(TOKEN, 0n, call('approve', [HOT, 500n]), { gasLimit: 60_000n })],
    ['transferFrom to attacker', tx(TOKEN, 0n, call('transferFrom', [DEPOSIT, ATTACKER, 500n]), { gasLimit: 60_000n })],
    ['transferFrom to the sweep address', tx(TOKEN, 0n, call('transferFrom', [ATTACKER, HOT, 500n]), { gasLimit: 60_000n })],
    ['arbitrary call on the sweep address', tx(HOT, 0n, '0xdeadbeef', { gasLimit: 60_000n })],
    ['contract creation', tx(null, 0n, '0x6000', { gasLimit: 60_000n })],
  ];
  for (const [name, t] of cases) {
    const d = judge(t);
    assert.equal(d.outcome, 'deny', name);
    assert.ok(codes(d).includes('sweep_only'), `${name}: ${codes(d).join(',')}`);
  }
});

test("the group's limits, chains and fee cap still apply to a sweep", () => {
  assert.deepEqual(codes(judge(tx(HOT, 1001n))), ['per_tx_limit']);
  assert.deepEqual(codes(judge(tx(HOT, 1n, '', { chainId: 1n }))), ['chain_not_allowed', 'asset_not_allowed']);
  assert.deepEqual(codes(judge(tx(HOT, 1n, '', { maxFeePerGas: 10n ** 12n, maxPriorityFeePerGas: 1n }))), ['fee_above_cap']);
  const spent: StateView = { whitelistEntry: () => undefined, windowUsage: () => ({ amount: 1000n, count: 1 }) };
  const d = evaluate(policy(), spent, { intent: intentFromEvmTx('dep-1', tx(HOT, 900n)), keyGroup: 'deposit', requester: 'custody' }, [], NOW);
  assert.deepEqual(codes(d), ['window_amount']);
});

test('a group without sweepTo is unchanged: the whitelist still decides', () => {
  const { sweepTo: _none, ...plain } = depositGroup();
  assert.deepEqual(codes(judge(tx(HOT, 900n), policy(plain))), ['not_whitelisted']);
});

test('a sweep key signs no typed data, even an EIP-3009 transfer to the sweep address', () => {
  const td = transferWithAuthorizationTypedData({ name: 'T', version: '1', chainId: Number(CHAIN), verifyingContract: TOKEN }, { from: DEPOSIT, to: HOT, value: 5n, nonce: '0x' + '42'.repeat(32) });
  const read = readTypedRequest(td as unknown as CborMap);
  const d = evaluateTypedData(policy(), emptyView, { ...read, keyGroup: 'deposit', keyId: 'dep-1', keyAddress: bytes(DEPOSIT), requester: 'custody' }, [], NOW);
  assert.deepEqual(codes(d), ['sweep_only']);
});

test('the policy document carries sweepTo through canonical CBOR and refuses a sweep group with allowlists', () => {
  const p = policy();
  const back = parsePolicy(decodeCanonical(encodeCanonical(policyToCbor(p))));
  assert.deepEqual(back.groups.deposit!.sweepTo, bytes(HOT));
  const withContracts = policyToCbor(policy(depositGroup({ contracts: [{ chainId: CHAIN, address: bytes(TOKEN), selectors: [bytes('0xdeadbeef')] }] })));
  assert.throws(() => parsePolicy(withContracts), /sweep group/);
  const withTyped = policyToCbor(policy(depositGroup({ typedData: [{ chainId: CHAIN, verifyingContract: bytes(TOKEN) }] })));
  assert.throws(() => parsePolicy(withTyped), /sweep group/);
  assert.throws(() => parsePolicy(policyToCbor(policy(depositGroup({ sweepTo: new Uint8Array(19) })))), /sweepTo/);
  assert.throws(() => parsePolicy(policyToCbor(policy(depositGroup({ sweepTo: new Uint8Array(20) })))), /zero address/);
});

test('a policy change that sets sweepTo is stricter; moving or removing it is not', () => {
  const { sweepTo: _none, ...plain } = depositGroup();
  const without = policy(plain);
  const withHot = policy();
  const elsewhere = policy(depositGroup({ sweepTo: bytes(ATTACKER) }));
  const set = diffPolicies(without, withHot).filter((c) => c.path === 'groups.deposit.sweepTo');
  assert.deepEqual(
    set.map((c) => [c.kind, c.stricter]),
    [['added', true]],
  );
  assert.deepEqual(
    diffPolicies(withHot, elsewhere).map((c) => [c.path, c.kind, c.stricter]),
    [['groups.deposit.sweepTo', 'changed', false]],
  );
  assert.deepEqual(
    diffPolicies(withHot, without).map((c) => [c.path, c.kind, c.stricter]),
    [['groups.deposit.sweepTo', 'removed', false]],
  );
});
