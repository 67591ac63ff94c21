// The nonce guard as a pure rule: first signature, conflicting intent, fee bump (≥ 10% on each fee
// field), cancel; and through evaluate(): bumps and cancels reserve nothing and need no approvals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNonce, isCancel } from '../../../firmware-policy/rules/nonce-guard.js';
import { evaluate } from '../../../firmware-policy/evaluate.js';
import { intentDigest, type TransferIntent } from '../../../firmware-policy/intent.js';
import type { NonceRecordView, StateView } from '../../../firmware-policy/state-view.js';
import type { PolicyDocument } from '../../../firmware-policy/policy-document.js';

const SELF = new Uint8Array(20).fill(0xaa);
const TO = new Uint8Array(20).fill(0xbb);
const base: TransferIntent = {
  kind: 'evm-transfer',
  keyId: 'k',
  chainId: 1n,
  nonce: 7n,
  asset: '1:native',
  to: TO,
  amount: 5n * 10n ** 18n,
  data: new Uint8Array(),
  maxFee: 0n,
  maxFeePerGas: 100n,
  maxPriorityFeePerGas: 10n,
};
const view = (record?: NonceRecordView): StateView => ({
  whitelistEntry: () => ({ activeAt: 0 }),
  windowUsage: () => ({ amount: 0n, count: 0 }),
  nonceRecord: () => record,
});
const recordOf = (i: TransferIntent, cancelled = false): NonceRecordView => ({
  intentDigest: intentDigest(i),
  maxFeePerGas: i.maxFeePerGas!,
  maxPriorityFeePerGas: i.maxPriorityFeePerGas!,
  cancelled,
});

test('first signature at a nonce passes', () => {
  assert.deepEqual(
    checkNonce(view(), base, () => intentDigest(base), SELF),
    { mode: 'first', reasons: [] },
  );
});

test('a different intent at a signed nonce is a conflict', () => {
  const other = { ...base, amount: 1n };
  const r = checkNonce(view(recordOf(base)), other, () => intentDigest(other), SELF);
  assert.deepEqual(
    r.reasons.map((x) => x.code),
    ['nonce_conflict'],
  );
});

test('a fee bump needs at least 10% on every fee field', () => {
  const rec = recordOf(base);
  const at = (fee: bigint, tip: bigint) => checkNonce(view(rec), { ...base, maxFeePerGas: fee, maxPriorityFeePerGas: tip }, () => intentDigest(base), SELF);
  assert.deepEqual(at(110n, 11n), { mode: 'bump', record: rec, reasons: [] });
  assert.deepEqual(
    at(109n, 11n).reasons.map((x) => x.code),
    ['fee_bump_too_small'],
  );
  assert.deepEqual(
    at(110n, 10n).reasons.map((x) => x.code),
    ['fee_bump_too_small'],
  );
  const unknownFees = checkNonce(view(rec), { ...base, maxFeePerGas: undefined, maxPriorityFeePerGas: undefined }, () => intentDigest(base), SELF);
  assert.deepEqual(
    unknownFees.reasons.map((x) => x.code),
    ['fee_bump_too_small'],
    'unknown fees never count as raised',
  );
});

test('a cancel is 0 to the key itself with no data, and needs raised fees too', () => {
  const cancel = { ...base, to: SELF, amount: 0n, maxFeePerGas: 200n, maxPriorityFeePerGas: 20n };
  assert.equal(isCancel(cancel, SELF), true);
  assert.equal(isCancel({ ...cancel, amount: 1n }, SELF), false);
  assert.equal(isCancel({ ...cancel, data: Uint8Array.of(1) }, SELF), false);
  assert.equal(isCancel(cancel, undefined), false);
  assert.equal(checkNonce(view(recordOf(base)), cancel, () => intentDigest(cancel), SELF).mode, 'cancel');
  assert.deepEqual(
    checkNonce(view(recordOf(base)), { ...cancel, maxFeePerGas: 100n }, () => intentDigest(cancel), SELF).reasons.map((x) => x.code),
    ['fee_bump_too_small'],
  );
  const afterCancel = checkNonce(view(recordOf(base, true)), { ...base, maxFeePerGas: 500n, maxPriorityFeePerGas: 50n }, () => intentDigest(base), SELF);
  assert.deepEqual(
    afterCancel.reasons.map((x) => x.code),
    ['nonce_conflict'],
    'the original cannot come back after a cancel',
  );
});

test('through evaluate(): a bump and a cancel need no approvals and reserve nothing; a conflict is denied', () => {
  const policy: PolicyDocument = {
    version: 1,
    parentHash: null,
    deviceId: 'd',
    defaultHoldSeconds: 0,
    admins: [],
    adminQuorum: 1,
    approvers: [],
    requesters: [{ id: 'r' }],
    groups: {
      hot: {
        chains: [1n],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: { '1:native': { perTxMax: 10n ** 19n, windows: [{ seconds: 60, maxAmount: 10n ** 19n, maxCount: 10 }], approvalTiers: [{ above: 10n ** 18n, required: 2 }] } },
      },
    },
  };
  const req = (intent: TransferIntent) => ({ intent, keyGroup: 'hot', requester: 'r', keyAddress: SELF });
  const first = evaluate(policy, view(), req(base), [], 100);
  assert.equal(first.outcome, 'needs_approval', 'the original needed approvals');
  const bump = evaluate(policy, view(recordOf(base)), req({ ...base, maxFeePerGas: 200n, maxPriorityFeePerGas: 20n }), [], 100);
  assert.equal(bump.outcome, 'allow');
  assert.equal(bump.nonceMode, 'bump');
  assert.equal(bump.reserve, undefined);
  const cancel = evaluate(policy, view(recordOf(base)), req({ ...base, to: SELF, amount: 0n, maxFeePerGas: 200n, maxPriorityFeePerGas: 20n }), [], 100);
  assert.equal(cancel.outcome, 'allow');
  assert.equal(cancel.nonceMode, 'cancel');
  assert.equal(cancel.reserve, undefined);
  const conflict = evaluate(policy, view(recordOf(base)), req({ ...base, amount: 1n }), [], 100);
  assert.equal(conflict.outcome, 'deny');
  assert.ok(conflict.reasons.some((r) => r.code === 'nonce_conflict'));
});
