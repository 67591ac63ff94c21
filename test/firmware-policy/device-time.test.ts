// Both bounds of the device's time reach firmware-policy (firmware-policy/device-time.ts) and each
// check takes its pessimistic one: a whitelist hold and a rolling window are judged at the earliest
// plausible now, an approval's expiry at the latest, so a host clock moved forward passes no hold
// or window early and a host clock lagging keeps no approval alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { evaluate } from '../../firmware-policy/evaluate.js';
import { earliestOf, latestOf, type TimeBounds } from '../../firmware-policy/device-time.js';
import type { PolicyDocument } from '../../firmware-policy/policy-document.js';
import type { StateView, WindowUsage } from '../../firmware-policy/state-view.js';
import { intentDigest, type TransferIntent } from '../../firmware-policy/intent.js';
import { encodeApprovalStatement } from '../../firmware-policy/approvals/statement.js';
import { encodeTimeStatement, tallyTimeStatement } from '../../firmware-policy/time-statement.js';

const DEVICE = 'dev-time-1';
const CHAIN = 31337n;
const ASSET = '31337:native';
const TO = new Uint8Array(20).fill(0xaa);
const T = 1_700_000_000;
const DAY = 86_400;
/** The device's own time is T; the host claims three days later. */
const HOST_AHEAD: TimeBounds = { earliest: T, latest: T + 3 * DAY };

const { secretKey, publicKey } = p256.keygen(new Uint8Array(48).fill(7));
const sign = (m: Uint8Array) => p256.sign(m, secretKey, { prehash: true, format: 'der' });
const admin2 = p256.keygen(new Uint8Array(48).fill(8));

const policy: PolicyDocument = {
  version: 1,
  parentHash: null,
  deviceId: DEVICE,
  defaultHoldSeconds: DAY,
  admins: [
    { id: 'admin-1', alg: 'ES256', publicKey },
    { id: 'admin-2', alg: 'ES256', publicKey: p256.getPublicKey(admin2.secretKey, false) },
  ],
  adminQuorum: 2,
  approvers: [{ id: 'alice', alg: 'ES256', publicKey }],
  requesters: [{ id: 'orch' }],
  groups: {
    hot: {
      chains: [CHAIN],
      whitelistRequired: true,
      holdSeconds: DAY,
      assets: { [ASSET]: { perTxMax: 10_000n, windows: [{ seconds: 3600, maxAmount: 1_000n, maxCount: 100 }], approvalTiers: [{ above: 500n, required: 1 }] } },
    },
  },
};

const intent = (amount: bigint): TransferIntent => ({ kind: 'evm-transfer', keyId: 'k1', chainId: CHAIN, nonce: 1n, asset: ASSET, to: TO, amount, data: new Uint8Array(0), maxFee: 1n });

/** Whitelisted with `activeAt`; one spend of `spent` at `spentAt` (usage counts spends at or after `since`). */
function view(activeAt: number, spent = 0n, spentAt = 0): StateView & { sinces: number[] } {
  const sinces: number[] = [];
  return {
    sinces,
    whitelistEntry: () => ({ activeAt }),
    windowUsage: (_k: string, _a: string, since: number): WindowUsage => {
      sinces.push(since);
      return spentAt >= since ? { amount: spent, count: 1 } : { amount: 0n, count: 0 };
    },
    nonceRecord: () => undefined,
  } as StateView & { sinces: number[] };
}

const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test('the bounds: a number is both; latest is never below earliest', () => {
  assert.equal(earliestOf(5), 5);
  assert.equal(latestOf(5), 5);
  assert.equal(earliestOf(HOST_AHEAD), T);
  assert.equal(latestOf(HOST_AHEAD), T + 3 * DAY);
  assert.equal(latestOf({ earliest: T, latest: T - 100 }), T, 'a host clock behind the device time never makes approvals look younger than the device time');
});

test('a whitelist hold ends on the earliest plausible now, not on the host clock', () => {
  const inHold = view(T + DAY); // the hold ends a day after the device's time
  const d = evaluate(policy, inHold, { intent: intent(100n), keyGroup: 'hot', requester: 'orch' }, [], HOST_AHEAD);
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(codes(d), ['whitelist_hold'], 'the host says three days passed; the device does not believe it');
  // The same decision with one number (the old single clock, equal to the host) let it through.
  assert.equal(evaluate(policy, inHold, { intent: intent(100n), keyGroup: 'hot', requester: 'orch' }, [], T + 3 * DAY).outcome, 'allow');
  // Once the device's own time passes the hold, it allows.
  assert.equal(evaluate(policy, inHold, { intent: intent(100n), keyGroup: 'hot', requester: 'orch' }, [], { earliest: T + DAY, latest: T + 3 * DAY }).outcome, 'allow');
});

test('a rolling window reaches back from the earliest plausible now, so a spend does not expire early', () => {
  const v = view(T - DAY, 1_000n, T - 60); // the window is full since a minute ago (device time)
  const d = evaluate(policy, v, { intent: intent(100n), keyGroup: 'hot', requester: 'orch' }, [], HOST_AHEAD);
  assert.deepEqual(codes(d), ['window_amount']);
  assert.deepEqual(v.sinces, [T - 3600], 'the window starts an hour before the device time');
  // After an hour of device time the spend leaves the window.
  assert.equal(evaluate(policy, view(T - DAY, 1_000n, T - 60), { intent: intent(100n), keyGroup: 'hot', requester: 'orch' }, [], { earliest: T + 3600, latest: T + 3600 }).outcome, 'allow');
});

test("an approval's expiry is judged at the latest plausible now: it stops counting when the host clock says it expired", () => {
  const i = intent(600n); // above the tier: one approval needed
  const expiresAt = T + 600;
  const approval = { approverId: 'alice', expiresAt, signature: sign(encodeApprovalStatement({ deviceId: DEVICE, intentDigest: intentDigest(i), approverId: 'alice', expiresAt })) };
  const v = view(T - DAY);
  const fresh = evaluate(policy, v, { intent: i, keyGroup: 'hot', requester: 'orch' }, [approval], { earliest: T, latest: T + 60 });
  assert.equal(fresh.outcome, 'allow');
  const late = evaluate(policy, v, { intent: i, keyGroup: 'hot', requester: 'orch' }, [approval], { earliest: T, latest: T + 601 });
  assert.equal(late.outcome, 'needs_approval');
  assert.deepEqual(late.approvals.rejected, [{ approverId: 'alice', why: 'expired' }]);
});

test("an approval's lifetime is measured from the earliest plausible now: a host clock far ahead lets no long-lived approval in", () => {
  const i = intent(600n);
  const expiresAt = T + 30 * DAY; // the policy's maximum lifetime is the default, 24 h
  const approval = { approverId: 'alice', expiresAt, signature: sign(encodeApprovalStatement({ deviceId: DEVICE, intentDigest: intentDigest(i), approverId: 'alice', expiresAt })) };
  const v = view(T - DAY);
  // The host says it is 29 days and 23 hours later: by the host, the approval has an hour left.
  const d = evaluate(policy, v, { intent: i, keyGroup: 'hot', requester: 'orch' }, [approval], { earliest: T, latest: T + 30 * DAY - 3600 });
  assert.equal(d.outcome, 'needs_approval');
  assert.deepEqual(d.approvals.rejected, [{ approverId: 'alice', why: 'lifetime_too_long' }]);
});

test('a time statement, single-use by its nonce, is measured from the latest bound: a device that was off for days can still be caught up', () => {
  const nonce = new Uint8Array(16).fill(4);
  const s = { nonce, time: T + 3 * DAY };
  const expiresAt = T + 3 * DAY + 600; // the admins' clocks are three days ahead of the device's own time
  const by = (id: string, key: Uint8Array) => ({ approverId: id, expiresAt, signature: p256.sign(encodeTimeStatement(DEVICE, s, id, expiresAt), key, { prehash: true, format: 'der' }) });
  const t = tallyTimeStatement(policy, s, [by('admin-1', secretKey), by('admin-2', admin2.secretKey)], { earliest: T, latest: T + 3 * DAY });
  assert.deepEqual(t.counted, ['admin-1', 'admin-2']);
});

test('a time statement counts the admins who signed this nonce and this time, and nothing else', () => {
  const nonce = new Uint8Array(16).fill(3);
  const s = { nonce, time: T + DAY };
  const expiresAt = T + 600;
  const by = (id: string, key: Uint8Array, over: Partial<typeof s> = {}) => ({
    approverId: id,
    expiresAt,
    signature: p256.sign(encodeTimeStatement(DEVICE, { ...s, ...over }, id, expiresAt), key, { prehash: true, format: 'der' }),
  });
  const both = [by('admin-1', secretKey), by('admin-2', admin2.secretKey)];
  assert.deepEqual(tallyTimeStatement(policy, s, both, T).counted, ['admin-1', 'admin-2']);
  // Signed over another nonce (an earlier statement) or another time: bad signatures for this one.
  const replayed = [by('admin-1', secretKey, { nonce: new Uint8Array(16).fill(4) }), by('admin-2', admin2.secretKey, { time: T + 2 * DAY })];
  const t = tallyTimeStatement(policy, s, replayed, T);
  assert.deepEqual(t.counted, []);
  assert.deepEqual(
    t.rejected.map((r) => r.why),
    ['bad_signature', 'bad_signature'],
  );
  // Expired at the latest plausible now.
  assert.deepEqual(tallyTimeStatement(policy, s, both, { earliest: T, latest: expiresAt }).counted, []);
});
