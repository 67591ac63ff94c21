// The travel rule (firmware-policy/rules/travel-rule.ts): above an asset's `travelRuleAbove`, a
// transfer must name a travel-rule hash; at or below it, or with one, it passes. Through evaluate():
// native and ERC-20 transfers and native value sent with a contract call are judged, allowance
// grants are not; an EIP-3009 typed transfer (which carries no hash) above the amount is denied. The
// field round-trips through the canonical policy, and a policy change touching it is classified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { checkTravelRule } from '../../../firmware-policy/rules/travel-rule.js';
import { checkTypedTransfer } from '../../../firmware-policy/rules/typed-transfer.js';
import { evaluate } from '../../../firmware-policy/evaluate.js';
import type { Decision } from '../../../firmware-policy/decision.js';
import { diffPolicies, isStrictlyTighter } from '../../../firmware-policy/policy-change.js';
import { erc20AssetId, parsePolicy, policyToCbor, type AssetRules, type PolicyDocument } from '../../../firmware-policy/policy-document.js';
import type { TransferIntent } from '../../../firmware-policy/intent.js';
import type { StateView } from '../../../firmware-policy/state-view.js';

const NOW = 1_700_000_000;
const CHAIN = 31337n;
const NATIVE = '31337:native';
const TOKEN = new Uint8Array(20).fill(0x70);
const TOKEN_ASSET = erc20AssetId(CHAIN, TOKEN);
const CONTRACT = new Uint8Array(20).fill(0xcc);
const SELECTOR = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
const KEY = new Uint8Array(20).fill(0x11);
const TO = new Uint8Array(20).fill(0xaa);
const HASH = new Uint8Array(32).fill(0x42);
const THRESHOLD = 1_000n;

const adminKey = p256.getPublicKey(p256.keygen(new Uint8Array(48).fill(9)).secretKey, false);

function rules(over: Partial<AssetRules> = {}): AssetRules {
  return { perTxMax: 1_000_000n, windows: [], approvalTiers: [], travelRuleAbove: THRESHOLD, ...over };
}

function policy(native: AssetRules = rules(), token: AssetRules = rules()): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: 'dev-travel',
    defaultHoldSeconds: 3600,
    admins: [{ id: 'admin-1', alg: 'ES256', publicKey: adminKey }],
    adminQuorum: 1,
    approvers: [],
    requesters: [{ id: 'orchestrator' }],
    groups: {
      hot: {
        chains: [CHAIN],
        whitelistRequired: false,
        holdSeconds: null,
        assets: { [NATIVE]: native, [TOKEN_ASSET]: token },
        contracts: [{ chainId: CHAIN, address: CONTRACT, selectors: [SELECTOR] }],
      },
    },
  };
}

const view: StateView = { whitelistEntry: () => undefined, windowUsage: () => ({ amount: 0n, count: 0 }) };

function transfer(amount: bigint, over: Partial<TransferIntent> = {}): TransferIntent {
  return { kind: 'evm-transfer', keyId: 'k1', chainId: CHAIN, nonce: 0n, asset: NATIVE, to: TO, amount, data: new Uint8Array(0), maxFee: 0n, ...over };
}

function tokenTransfer(amount: bigint): TransferIntent {
  return transfer(amount, { kind: 'erc20-transfer', asset: TOKEN_ASSET, contract: TOKEN, nativeValue: 0n, data: new Uint8Array([0xa9, 0x05, 0x9c, 0xbb]) });
}

function run(p: PolicyDocument, intent: TransferIntent, travelRuleHash?: Uint8Array): Decision {
  return evaluate(p, view, { intent, keyGroup: 'hot', requester: 'orchestrator', ...(travelRuleHash ? { travelRuleHash } : {}) }, [], NOW);
}

const codes = (d: Decision) => d.reasons.map((r) => `${r.rule}/${r.code}`);

test('the rule alone: absent threshold, at, above without and with a hash', () => {
  assert.deepEqual(checkTravelRule(rules({ travelRuleAbove: undefined }), 10n ** 30n, undefined), []);
  assert.deepEqual(checkTravelRule(rules(), THRESHOLD, undefined), []);
  assert.deepEqual(checkTravelRule(rules(), THRESHOLD + 1n, HASH), []);
  assert.deepEqual(checkTravelRule(rules(), THRESHOLD + 1n, undefined), [
    { rule: 'travel-rule', code: 'travel_rule_missing', message: 'a transfer above the travel-rule amount must carry a travel-rule hash', detail: { amount: THRESHOLD + 1n, threshold: THRESHOLD } },
  ]);
  // A threshold of 0 requires a hash for any transfer of value, but not for 0.
  assert.deepEqual(checkTravelRule(rules({ travelRuleAbove: 0n }), 0n, undefined), []);
  assert.equal(checkTravelRule(rules({ travelRuleAbove: 0n }), 1n, undefined).length, 1);
});

test('a native transfer above the amount without a hash is denied; with one, or at the amount, allowed', () => {
  const p = policy();
  const above = run(p, transfer(THRESHOLD + 1n));
  assert.equal(above.outcome, 'deny');
  assert.deepEqual(codes(above), ['travel-rule/travel_rule_missing']);
  assert.equal(above.reserve, undefined);
  const hashed = run(p, transfer(THRESHOLD + 1n), HASH);
  assert.equal(hashed.outcome, 'allow');
  assert.deepEqual(hashed.reserve, { keyId: 'k1', asset: NATIVE, amount: THRESHOLD + 1n });
  assert.equal(run(p, transfer(THRESHOLD)).outcome, 'allow');
  // Without travelRuleAbove the same transfer needs no hash.
  assert.equal(run(policy(rules({ travelRuleAbove: undefined })), transfer(THRESHOLD * 100n)).outcome, 'allow');
});

test('the travel rule is reported with the other denials, not instead of them', () => {
  const d = run(policy(rules({ perTxMax: THRESHOLD })), transfer(THRESHOLD + 1n));
  assert.deepEqual(codes(d), ['per-tx-limit/per_tx_limit', 'travel-rule/travel_rule_missing']);
});

test("an ERC-20 transfer is judged by the token's own travelRuleAbove on the calldata amount", () => {
  const p = policy(rules({ travelRuleAbove: undefined }), rules({ travelRuleAbove: 5n }));
  assert.deepEqual(codes(run(p, tokenTransfer(6n))), ['travel-rule/travel_rule_missing']);
  assert.equal(run(p, tokenTransfer(6n), HASH).outcome, 'allow');
  assert.equal(run(p, tokenTransfer(5n)).outcome, 'allow');
});

test('native value sent with an allowlisted contract call counts as a transfer', () => {
  const call = transfer(THRESHOLD + 1n, { kind: 'contract-call', to: CONTRACT, contract: CONTRACT, selector: SELECTOR, data: SELECTOR });
  assert.deepEqual(codes(run(policy(), call)), ['travel-rule/travel_rule_missing']);
  assert.equal(run(policy(), call, HASH).outcome, 'allow');
});

test('an allowance grant is not a transfer: no travel-rule hash needed', () => {
  // approve(TO, THRESHOLD + 1): selector 0x095ea7b3, spender, amount.
  const data = new Uint8Array(68);
  data.set([0x09, 0x5e, 0xa7, 0xb3]);
  data.set(TO, 16);
  data[67] = Number((THRESHOLD + 1n) & 0xffn);
  data[66] = Number((THRESHOLD + 1n) >> 8n);
  const grant = transfer(THRESHOLD + 1n, { kind: 'erc20-approve', asset: TOKEN_ASSET, contract: TOKEN, nativeValue: 0n, data });
  const d = run(policy(), grant);
  assert.equal(d.outcome, 'allow', codes(d).join(','));
});

test('an EIP-3009 typed transfer above the amount is denied: typed data names no hash', () => {
  const p = policy();
  const group = p.groups.hot!;
  const ctx = { policy: p, group, keyGroup: 'hot', keyId: 'k1', keyAddress: KEY, requester: 'orchestrator', digest: new Uint8Array(32) };
  const at = checkTypedTransfer(ctx, view, { chainId: CHAIN, token: TOKEN, from: KEY, to: TO, value: THRESHOLD }, [], NOW);
  assert.equal(at.outcome, 'allow');
  const above = checkTypedTransfer(ctx, view, { chainId: CHAIN, token: TOKEN, from: KEY, to: TO, value: THRESHOLD + 1n }, [], NOW);
  assert.deepEqual(codes(above), ['travel-rule/travel_rule_missing']);
});

test('travelRuleAbove round-trips through the canonical policy and is validated as an amount', () => {
  const p = policy();
  const back = parsePolicy(policyToCbor(p));
  assert.equal(back.groups.hot!.assets[NATIVE]!.travelRuleAbove, THRESHOLD);
  const without = parsePolicy(policyToCbor(policy(rules({ travelRuleAbove: undefined }))));
  assert.equal(Object.hasOwn(without.groups.hot!.assets[NATIVE]!, 'travelRuleAbove'), false);
  const cbor = policyToCbor(p) as { groups: { hot: { assets: Record<string, Record<string, unknown>> } } };
  cbor.groups.hot.assets[NATIVE]!.travelRuleAbove = 'lots';
  assert.throws(() => parsePolicy(cbor as never), /travelRuleAbove/);
  cbor.groups.hot.assets[NATIVE]!.travelRuleAbove = -1;
  assert.throws(() => parsePolicy(cbor as never), /travelRuleAbove/);
});

test('a policy change: adding or lowering travelRuleAbove is stricter; raising or removing it is not', () => {
  const withAbove = (t: bigint | undefined) => ({ ...policy(rules({ travelRuleAbove: t })), version: 2 });
  const cases: [bigint | undefined, bigint | undefined, boolean][] = [
    [undefined, 500n, true],
    [1_000n, 500n, true],
    [500n, 1_000n, false],
    [1_000n, undefined, false],
  ];
  for (const [from, to, stricter] of cases) {
    const changes = diffPolicies(policy(rules({ travelRuleAbove: from })), withAbove(to)).filter((c) => c.path.endsWith('travelRuleAbove'));
    assert.equal(changes.length, 1, `${from} -> ${to}`);
    assert.equal(changes[0]!.path, `groups.hot.assets.${NATIVE}.travelRuleAbove`);
    assert.equal(changes[0]!.stricter, stricter, `${from} -> ${to}`);
    assert.equal(isStrictlyTighter(policy(rules({ travelRuleAbove: from })), withAbove(to)), stricter, `${from} -> ${to}`);
  }
  assert.deepEqual(
    diffPolicies(policy(), withAbove(THRESHOLD)).filter((c) => c.path.endsWith('travelRuleAbove')),
    [],
  );
});
