// Key groups as tiers: a key's group is the one it was generated in, until a policy change moves it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { encodePolicy, keyGroupOf, parsePolicy, policyToCbor, type GroupPolicy, type PolicyDocument } from '../../firmware-policy/policy-document.js';
import { isStrictlyTighter } from '../../firmware-policy/policy-change.js';
import { ed25519 } from '@noble/curves/ed25519.js';

const tier = (perTxMax: bigint, hold: number): GroupPolicy => ({
  chains: [1n],
  whitelistRequired: true,
  holdSeconds: hold,
  assets: { '1:native': { perTxMax, windows: [], approvalTiers: [] } },
});
const base: PolicyDocument = {
  version: 1,
  parentHash: null,
  deviceId: 'd',
  defaultHoldSeconds: 172_800,
  admins: [{ id: 'admin-1', alg: 'EdDSA', publicKey: ed25519.getPublicKey(ed25519.utils.randomSecretKey()) }],
  adminQuorum: 1,
  approvers: [],
  groups: { hot: tier(10n ** 18n, 3600), warm: tier(10n ** 19n, 86_400), cold: tier(10n ** 21n, 604_800) },
};

test('a key keeps the group it was generated in unless the policy moves it', () => {
  assert.equal(keyGroupOf(base, 'k-1', 'hot'), 'hot');
  const moved = { ...base, keyGroups: { 'k-1': 'cold' } };
  assert.equal(keyGroupOf(moved, 'k-1', 'hot'), 'cold');
  assert.equal(keyGroupOf(moved, 'k-2', 'warm'), 'warm');
  assert.equal(keyGroupOf({ ...base, keyGroups: {} }, 'toString', 'hot'), 'hot', 'no prototype lookups');
});

test('keyGroups round-trips canonically and must name a defined group', () => {
  const moved: PolicyDocument = { ...base, keyGroups: { 'k-1': 'cold' } };
  assert.deepEqual(parsePolicy(decodeCanonical(encodePolicy(moved))), moved);
  const bad = { ...policyToCbor(base), keyGroups: { 'k-1': 'frozen' } };
  assert.throws(
    () => parsePolicy(bad),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
  );
});

test('moving a key between groups is a policy change that is never classed as stricter', () => {
  assert.equal(isStrictlyTighter(base, { ...base, keyGroups: { 'k-1': 'cold' } }), false);
});
