// The allowance rule as a pure function (issue 11, item 3): a grant is charged in full, the spender's
// outstanding allowance is set by approve and added to by increaseAllowance (and by a set that may land
// out of order), and capped; through evaluate(): a grant counts against the token's windows and
// reserves its charge, a revoke is free, and a replay from the recorded inputs gives the same decision.
// Also item 4: native value to an allowlisted contract needs a whitelisted contract; value 0 does not.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, erc20Abi, parseAbi, type Hex } from 'viem';
import { allowanceModeOf, judgeAllowanceGrant, judgeSignedGrant, SIGNED_GRANT_ORDER, type AllowanceGrant } from '../../../firmware-policy/rules/token-allowance.js';
import { evaluate } from '../../../firmware-policy/evaluate.js';
import { intentFromEvmTx, type TransferIntent } from '../../../firmware-policy/intent.js';
import type { AllowanceView, StateView } from '../../../firmware-policy/state-view.js';
import type { AssetRules, PolicyDocument } from '../../../firmware-policy/policy-document.js';
import { erc20AssetId, nativeAssetId } from '../../../firmware-policy/policy-document.js';
import { MAX_UINT256 } from '../../../firmware-policy/evm/erc20-calldata.js';
import { recordingView, replayView, inputsFromCbor, inputsToCbor, type RecordedInputs } from '../../../firmware-policy/recorded-view.js';
import type { EvmTx } from '../../../firmware-policy/evm/transaction.js';

const TOKEN = new Uint8Array(20).fill(0x70);
const SPENDER = new Uint8Array(20).fill(0x5e);
const STRANGER = new Uint8Array(20).fill(0x99);
const CONTRACT = new Uint8Array(20).fill(0xcc);
const ASSET = erc20AssetId(1n, TOKEN);
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}` as Hex;
const bytes = (h: Hex) => new Uint8Array(Buffer.from(h.slice(2), 'hex'));
const rules: AssetRules = { perTxMax: 100n, approvalCap: 100n, windows: [{ seconds: 3600, maxAmount: 100n, maxCount: 10 }], approvalTiers: [] };
const grant = (g: Partial<AllowanceGrant>): AllowanceGrant => ({ keyId: 'k', asset: ASSET, spender: SPENDER, mode: 'set', amount: 50n, order: 5n, ...g });

/** A state view with whitelisted SPENDER and CONTRACT, a window usage, and the allowance given. */
function fakeView(o: { used?: bigint; allowance?: AllowanceView } = {}): StateView {
  const listed = [SPENDER, CONTRACT].map(hex);
  return {
    whitelistEntry: (_g, _c, a) => (listed.includes(hex(a)) ? { activeAt: 0 } : undefined),
    windowUsage: () => ({ amount: o.used ?? 0n, count: o.used ? 1 : 0 }),
    nonceRecord: () => undefined,
    allowance: () => o.allowance,
  };
}

describe('judgeAllowanceGrant', () => {
  test('approve sets the outstanding allowance (never lower) and is charged in full, even when it repeats the same amount', () => {
    const first = judgeAllowanceGrant(rules, fakeView(), grant({}));
    assert.deepEqual(first.reasons, []);
    assert.equal(first.charge, 50n);
    assert.deepEqual(first.next, { keyId: 'k', asset: ASSET, spender: SPENDER, amount: 50n, nonce: 5n });
    // The spender may have pulled the first 50 already: the second approve of 50 is 50 more capability.
    const again = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 50n, nonce: 5n } }), grant({ order: 6n }));
    assert.equal(again.charge, 50n);
    assert.equal(again.next.amount, 50n, 'approve replaces the allowance');
    // A smaller approve or a revoke may never execute (cancelled at its nonce, out of gas, a nonce that
    // never lands): the bound stays where it was.
    const smaller = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 50n, nonce: 6n } }), grant({ amount: 20n, order: 7n }));
    assert.deepEqual([smaller.charge, smaller.next.amount], [20n, 50n]);
    const revoke = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 50n, nonce: 7n } }), grant({ amount: 0n, order: 8n }));
    assert.deepEqual([revoke.charge, revoke.next.amount, revoke.reasons.length], [0n, 50n, 0]);
  });

  test('a revoke that never executes cannot reopen the cap: approve 100, revoke (cancelled), increaseAllowance 100 is above it', () => {
    const approve = judgeAllowanceGrant(rules, fakeView(), grant({ amount: 100n, order: 5n }));
    assert.deepEqual(approve.reasons, []);
    const revoke = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: approve.next.amount, nonce: 5n } }), grant({ amount: 0n, order: 6n }));
    assert.equal(revoke.next.amount, 100n, 'the revoke leaves the bound at 100');
    const more = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: revoke.next.amount, nonce: 6n } }), grant({ mode: 'increase', amount: 100n, order: 7n }));
    assert.deepEqual(
      more.reasons.map((r) => r.code),
      ['allowance_total_above_cap'],
    );
    const far = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 100n, nonce: 5n } }), grant({ amount: 0n, order: 1n << 62n }));
    assert.equal(far.next.amount, 100n, 'a revoke signed at a nonce far ahead lowers nothing either');
  });

  test('increaseAllowance adds up, and the total is capped', () => {
    const one = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 50n, nonce: 5n } }), grant({ mode: 'increase', order: 6n }));
    assert.deepEqual([one.reasons, one.charge, one.next.amount], [[], 50n, 100n]);
    const two = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 100n, nonce: 6n } }), grant({ mode: 'increase', amount: 1n, order: 7n }));
    assert.deepEqual(
      two.reasons.map((r) => r.code),
      ['allowance_total_above_cap'],
    );
    assert.equal(two.reasons[0]?.detail?.total, 101n);
  });

  test('a set that may land out of order (lower nonce, or a Permit) adds to the outstanding allowance', () => {
    const late = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 30n, nonce: 9n } }), grant({ amount: 40n, order: 8n }));
    assert.deepEqual([late.next.amount, late.next.nonce], [70n, 9n]);
    const permit = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 30n, nonce: 9n } }), grant({ amount: 40n, order: null }));
    assert.deepEqual([permit.next.amount, permit.next.nonce, permit.charge], [70n, SIGNED_GRANT_ORDER, 40n], 'a Permit marks the row: no later approve replaces it');
    const overCap = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 70n, nonce: 9n } }), grant({ amount: 40n, order: null }));
    assert.deepEqual(
      overCap.reasons.map((r) => r.code),
      ['allowance_total_above_cap'],
    );
  });

  test('per-grant caps stay: unlimited denied unless allowed (then not charged), above the cap denied', () => {
    assert.deepEqual(
      judgeAllowanceGrant(rules, fakeView(), grant({ amount: MAX_UINT256 })).reasons.map((r) => r.code),
      ['unlimited_approval'],
    );
    assert.deepEqual(
      judgeAllowanceGrant(rules, fakeView(), grant({ amount: 101n })).reasons.map((r) => r.code),
      ['approval_above_cap'],
    );
    const open = judgeAllowanceGrant({ ...rules, allowUnlimitedApproval: true }, fakeView(), grant({ amount: MAX_UINT256 }));
    assert.deepEqual([open.reasons, open.charge, open.next.amount], [[], 0n, MAX_UINT256]);
  });

  test('a fee bump (refresh) is charged nothing and not capped again', () => {
    const r = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: 100n, nonce: 6n } }), grant({ mode: 'increase', order: 6n }), true);
    assert.deepEqual([r.reasons, r.charge], [[], 0n]);
  });

  test('the mode comes from the calldata selector', () => {
    assert.equal(allowanceModeOf(bytes(encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [hex(SPENDER), 1n] }))), 'set');
    const inc = encodeFunctionData({ abi: parseAbi(['function increaseAllowance(address,uint256)']), functionName: 'increaseAllowance', args: [hex(SPENDER), 1n] });
    assert.equal(allowanceModeOf(bytes(inc)), 'increase');
  });
});

describe('judgeSignedGrant (Permit, Permit2: for the typed-data path)', () => {
  const permit = { keyId: 'k', asset: ASSET, spender: SPENDER, amount: 50n };
  test('a Permit is charged to the window, adds to the outstanding allowance, and reserves its amount', () => {
    assert.deepEqual(
      judgeSignedGrant(rules, fakeView({ used: 60n }), permit, 1000).reasons.map((r) => r.code),
      ['window_amount'],
    );
    const ok = judgeSignedGrant(rules, fakeView({ used: 50n, allowance: { amount: 20n, nonce: 3n } }), permit, 1000);
    assert.deepEqual(ok.reasons, []);
    assert.deepEqual(ok.reserve, { keyId: 'k', asset: ASSET, amount: 50n });
    assert.deepEqual(ok.allowance, { keyId: 'k', asset: ASSET, spender: SPENDER, amount: 70n, nonce: SIGNED_GRANT_ORDER });
    assert.equal(ok.required, 0);
    const tiered = judgeSignedGrant({ ...rules, approvalTiers: [{ above: 40n, required: 2 }] }, fakeView(), permit, 1000);
    assert.equal(tiered.required, 2, 'the approval tier applies to the grant');
    assert.deepEqual(
      judgeSignedGrant(rules, fakeView({ allowance: { amount: 60n, nonce: null } }), permit, 1000).reasons.map((r) => r.code),
      ['allowance_total_above_cap'],
    );
  });

  test("an approve after a Permit adds to the outstanding allowance (the Permit may still land, or sit in Permit2's own slot)", () => {
    const afterPermit = judgeSignedGrant(rules, fakeView({ allowance: { amount: 10n, nonce: 3n } }), permit, 1000).allowance;
    assert.equal(afterPermit.nonce, SIGNED_GRANT_ORDER);
    const approve = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: afterPermit.amount, nonce: afterPermit.nonce } }), grant({ amount: 40n, order: 9n }));
    assert.deepEqual([approve.next.amount, approve.next.nonce], [100n, SIGNED_GRANT_ORDER]);
    const over = judgeAllowanceGrant(rules, fakeView({ allowance: { amount: afterPermit.amount, nonce: afterPermit.nonce } }), grant({ amount: 41n, order: 9n }));
    assert.deepEqual(
      over.reasons.map((r) => r.code),
      ['allowance_total_above_cap'],
    );
  });

  test('a Permit of 0 reserves nothing and passes a full window', () => {
    const zero = judgeSignedGrant(rules, fakeView({ used: 100n }), { ...permit, amount: 0n }, 1000);
    assert.deepEqual([zero.reasons, zero.reserve], [[], undefined]);
  });
});

describe('through evaluate()', () => {
  const policy: PolicyDocument = {
    version: 1,
    parentHash: null,
    deviceId: 'd',
    defaultHoldSeconds: 0,
    admins: [],
    adminQuorum: 1,
    approvers: [],
    requesters: [{ id: 'orch' }],
    groups: {
      hot: {
        chains: [1n],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: {
          [ASSET]: rules,
          [nativeAssetId(1n)]: { perTxMax: 10n, windows: [{ seconds: 3600, maxAmount: 15n, maxCount: 10 }], approvalTiers: [] },
        },
        contracts: [
          { chainId: 1n, address: CONTRACT, selectors: [Uint8Array.of(0xde, 0xad, 0xbe, 0xef)] },
          { chainId: 1n, address: STRANGER, selectors: [Uint8Array.of(0xde, 0xad, 0xbe, 0xef)] },
        ],
      },
    },
  };
  const tx = (to: Uint8Array, data: Hex, value = 0n, nonce = 5n): EvmTx => ({
    type: 'eip1559',
    chainId: 1n,
    nonce,
    maxPriorityFeePerGas: 1n,
    maxFeePerGas: 1n,
    gasLimit: 100_000n,
    to,
    value,
    data: bytes(data),
    accessList: [],
  });
  const intentOf = (t: EvmTx): TransferIntent => intentFromEvmTx('k', t);
  const run = (view: StateView, i: TransferIntent) => evaluate(policy, view, { intent: i, keyGroup: 'hot', requester: 'orch' }, [], 1000);
  const approveTo = (who: Uint8Array, amount: bigint, nonce = 5n) => intentOf(tx(TOKEN, encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [hex(who), amount] }), 0n, nonce));
  const increaseTo = (who: Uint8Array, amount: bigint, nonce = 5n) =>
    intentOf(tx(TOKEN, encodeFunctionData({ abi: parseAbi(['function increaseAllowance(address,uint256)']), functionName: 'increaseAllowance', args: [hex(who), amount] }), 0n, nonce));

  test('an approve with the token window exhausted is denied window_amount; one within it reserves its amount and records the allowance', () => {
    assert.deepEqual(
      run(fakeView({ used: 100n }), approveTo(SPENDER, 50n)).reasons.map((r) => r.code),
      ['window_amount'],
    );
    const ok = run(fakeView({ used: 50n }), approveTo(SPENDER, 50n));
    assert.equal(ok.outcome, 'allow');
    assert.deepEqual(ok.reserve, { keyId: 'k', asset: ASSET, amount: 50n });
    assert.deepEqual(ok.allowance, { keyId: 'k', asset: ASSET, spender: SPENDER, amount: 50n, nonce: 5n });
    assert.deepEqual(
      run(fakeView(), approveTo(SPENDER, MAX_UINT256)).reasons.map((r) => r.code),
      ['unlimited_approval'],
      'an unlimited grant is judged by its own rule only',
    );
  });

  test('increaseAllowance is charged too, and capped on the total', () => {
    assert.deepEqual(
      run(fakeView({ used: 60n }), increaseTo(SPENDER, 50n)).reasons.map((r) => r.code),
      ['window_amount'],
    );
    assert.deepEqual(
      run(fakeView({ allowance: { amount: 60n, nonce: 4n } }), increaseTo(SPENDER, 50n)).reasons.map((r) => r.code),
      ['allowance_total_above_cap'],
    );
  });

  test('a revoke (approve 0) passes with the window exhausted and the spender off the whitelist, reserving nothing', () => {
    const d = run(fakeView({ used: 100n, allowance: { amount: 50n, nonce: 4n } }), approveTo(STRANGER, 0n));
    assert.equal(d.outcome, 'allow', JSON.stringify(d.reasons));
    assert.equal(d.reserve, undefined);
    assert.equal(d.allowance?.amount, 50n, 'the bound is not lowered: the revoke may never execute');
    assert.deepEqual(
      run(fakeView(), approveTo(STRANGER, 1n)).reasons.map((r) => r.code),
      ['not_whitelisted'],
    );
  });

  test('replay from the recorded inputs gives the same decision, allowance included', () => {
    const rec: RecordedInputs = { whitelist: [], windows: [] };
    const i = increaseTo(SPENDER, 30n, 9n);
    const live = evaluate(policy, recordingView(fakeView({ used: 10n, allowance: { amount: 20n, nonce: 8n } }), rec), { intent: i, keyGroup: 'hot', requester: 'orch' }, [], 1000);
    assert.equal(live.allowance?.amount, 50n);
    const replayed = evaluate(policy, replayView(inputsFromCbor(inputsToCbor(rec))), { intent: i, keyGroup: 'hot', requester: 'orch' }, [], 1000);
    assert.deepEqual(replayed, live);
  });

  test('native value to an allowlisted contract: the contract must be whitelisted, and the value counts against the native limits', () => {
    const call = (to: Uint8Array, value: bigint) => run(fakeView(), intentOf(tx(to, '0xdeadbeef', value)));
    assert.deepEqual(
      call(STRANGER, 1n).reasons.map((r) => r.code),
      ['not_whitelisted'],
      'allowlisted for the call, not whitelisted as a payee',
    );
    assert.equal(call(STRANGER, 0n).outcome, 'allow', 'value 0 calls still work on the contract allowlist alone');
    const paid = call(CONTRACT, 5n);
    assert.equal(paid.outcome, 'allow');
    assert.deepEqual(paid.reserve, { keyId: 'k', asset: nativeAssetId(1n), amount: 5n });
    assert.deepEqual(
      call(CONTRACT, 11n).reasons.map((r) => r.code),
      ['per_tx_limit'],
    );
    assert.deepEqual(
      run(fakeView({ used: 12n }), intentOf(tx(CONTRACT, '0xdeadbeef', 5n))).reasons.map((r) => r.code),
      ['window_amount'],
    );
  });
});
