// Principals in one namespace (firmware-policy/principals.ts, issue 11 item 8): who the policy knows,
// which role a requester needs, and a document that gives one id two keys is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { ApplianceError } from '../../protocol/errors.js';
import { encodeCanonical, decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { parsePolicy, policyToCbor, type PolicyDocument, type Principal } from '../../firmware-policy/policy-document.js';
import { checkRequester, principalDirectory, rolesOf } from '../../firmware-policy/principals.js';
import { evaluate } from '../../firmware-policy/evaluate.js';
import type { StateView } from '../../firmware-policy/state-view.js';

const key = (b: number) => p256.getPublicKey(p256.keygen(new Uint8Array(48).fill(b)).secretKey, false);
const es = (id: string, b: number): Principal => ({ id, alg: 'ES256', publicKey: key(b) });

function policy(): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: 'dev-p',
    defaultHoldSeconds: 0,
    admins: [es('admin-1', 1), es('admin-2', 2)],
    adminQuorum: 2,
    approvers: [es('alice', 3), es('admin-2', 2)],
    requesters: [{ id: 'orchestrator' }, { id: 'alice' }],
    auditors: [{ id: 'audit-firm' }],
    groups: { hot: { chains: [1n], whitelistRequired: false, holdSeconds: null, assets: { '1:native': { perTxMax: 100n, windows: [], approvalTiers: [{ above: 10n, required: 1 }] } } } },
  };
}

test('one namespace: an id has every role the policy gives it, and the directory lists each id once', () => {
  const p = policy();
  assert.deepEqual(rolesOf(p, 'alice'), ['approver', 'requester']);
  assert.deepEqual(rolesOf(p, 'admin-2'), ['admin', 'approver']);
  assert.deepEqual(rolesOf(p, 'audit-firm'), ['auditor']);
  assert.deepEqual(rolesOf(p, 'mallory'), []);
  assert.deepEqual(
    principalDirectory(p).map((x) => x.id),
    ['admin-1', 'admin-2', 'alice', 'audit-firm', 'orchestrator'],
  );
});

test('checkRequester: an unknown id and an id without the role are refused with their own codes', () => {
  const p = policy();
  assert.deepEqual(checkRequester(p, 'orchestrator', 'requester'), []);
  assert.deepEqual(checkRequester(p, 'admin-1', 'admin'), []);
  assert.deepEqual(
    checkRequester(p, 'ops-admin', 'admin').map((r) => [r.rule, r.code]),
    [['requester', 'unknown_principal']],
  );
  assert.deepEqual(
    checkRequester(p, 'admin-1', 'requester').map((r) => r.code),
    ['requester_not_allowed'],
  );
  assert.deepEqual(
    checkRequester(p, 'orchestrator', 'admin').map((r) => r.code),
    ['requester_not_allowed'],
  );
  const none = { ...policy() };
  delete none.requesters;
  assert.deepEqual(
    checkRequester(none, 'orchestrator', 'requester').map((r) => r.code),
    ['unknown_principal'],
    'no requesters field: nobody may ask',
  );
});

test('requesters and auditors round-trip through the canonical form; one id with two keys is refused', () => {
  const p = policy();
  assert.deepEqual(parsePolicy(decodeCanonical(encodeCanonical(policyToCbor(p)))), p);
  const twoKeys: CborMap = { ...policyToCbor(policy()), approvers: [{ id: 'admin-1', alg: 'ES256', publicKey: key(9) }] };
  assert.throws(
    () => parsePolicy(twoKeys),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request' && /one id is one principal/.test(e.message),
  );
  const dup = { ...policyToCbor(policy()), requesters: [{ id: 'x' }, { id: 'x' }] };
  assert.throws(
    () => parsePolicy(dup),
    (e: unknown) => e instanceof ApplianceError && /duplicate/.test(e.message),
  );
  const extra = { ...policyToCbor(policy()), requesters: [{ id: 'x', scopes: ['all'] }] };
  assert.throws(
    () => parsePolicy(extra),
    (e: unknown) => e instanceof ApplianceError && /not a known field/.test(e.message),
  );
});

test('evaluate(): a request named by an id that is not a requester is denied by the requester rule', () => {
  const view: StateView = { whitelistEntry: () => undefined, windowUsage: () => ({ amount: 0n, count: 0 }), nonceRecord: () => undefined } as unknown as StateView;
  const intent = { kind: 'evm-transfer' as const, keyId: 'k', chainId: 1n, nonce: 0n, asset: '1:native', to: new Uint8Array(20).fill(1), amount: 5n, data: new Uint8Array(0), maxFee: 0n };
  for (const [who, code] of [
    ['token-name', 'unknown_principal'],
    ['admin-1', 'requester_not_allowed'],
  ] as const) {
    const d = evaluate(policy(), view, { intent, keyGroup: 'hot', requester: who }, [], 1000);
    assert.equal(d.outcome, 'deny');
    assert.deepEqual(
      d.reasons.map((r) => [r.rule, r.code]),
      [['requester', code]],
    );
  }
  assert.equal(evaluate(policy(), view, { intent, keyGroup: 'hot', requester: 'orchestrator' }, [], 1000).outcome, 'allow');
});
