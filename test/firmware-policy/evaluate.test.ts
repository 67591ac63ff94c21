// The pure evaluator (firmware-policy/evaluate.ts, DESIGN.md "Processes"): deny by default, whitelist
// holds, per-transaction and rolling-window limits, m-of-n approval tiers, every deny reason reported
// together, and properties (determinism, never throws, monotone in past usage). The device state is a
// small in-memory fake of StateView that also records what the evaluator asked it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { evaluate } from '../../firmware-policy/evaluate.js';
import type { Decision, RejectedApproval } from '../../firmware-policy/decision.js';
import { DEFAULT_HOLD_SECONDS, type AssetRules, type PolicyDocument, type Principal } from '../../firmware-policy/policy-document.js';
import type { StateView, WhitelistEntryView, WindowUsage } from '../../firmware-policy/state-view.js';
import { intentDigest, type TransferIntent } from '../../firmware-policy/intent.js';
import { encodeApprovalStatement, type Approval } from '../../firmware-policy/approvals/statement.js';
import type { ApprovalAlg } from '../../firmware-policy/approvals/verify-signature.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

const NOW = 1_700_000_000;
const DEVICE = 'dev-test-1';
const CHAIN = 31337n;
const ASSET = '31337:native';
const GROUP = 'hot';
const KEY_ID = 'key-hot-1';
const REQUESTER = 'orchestrator';
const TO = new Uint8Array(20).fill(0xaa);
const OTHER_TO = new Uint8Array(20).fill(0xbb);
const MAX_UINT256 = (1n << 256n) - 1n;

interface Signer {
  id: string;
  alg: ApprovalAlg;
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

function es256Signer(id: string, seedByte: number): Signer {
  const { secretKey } = p256.keygen(new Uint8Array(48).fill(seedByte));
  return {
    id,
    alg: 'ES256',
    publicKey: p256.getPublicKey(secretKey, false),
    sign: (m) => p256.sign(m, secretKey, { prehash: true, format: 'der' }),
  };
}

function ed25519Signer(id: string, seedByte: number): Signer {
  const { secretKey, publicKey } = ed25519.keygen(new Uint8Array(32).fill(seedByte));
  return { id, alg: 'EdDSA', publicKey, sign: (m) => ed25519.sign(m, secretKey) };
}

const alice = es256Signer('alice', 1);
const bob = ed25519Signer('bob', 2);
const carol = es256Signer('carol', 3);
const dave = ed25519Signer('dave', 4);
/** Not in the policy. */
const mallory = es256Signer('mallory', 5);
const admin = es256Signer('admin-1', 6);

const principal = (s: Signer): Principal => ({ id: s.id, alg: s.alg, publicKey: s.publicKey });

/** A fresh policy each call, so a test may change it. */
function basePolicy(): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: DEVICE,
    defaultHoldSeconds: DEFAULT_HOLD_SECONDS,
    admins: [principal(admin)],
    adminQuorum: 1,
    approvers: [alice, bob, carol, dave].map(principal),
    // One namespace: alice, bob and carol are approvers and may also ask (tests of self-approval).
    requesters: [REQUESTER, 'alice', 'bob', 'carol'].map((id) => ({ id })),
    groups: {
      [GROUP]: {
        chains: [CHAIN, 1n, 10n],
        whitelistRequired: true,
        holdSeconds: 3600,
        assets: {
          [ASSET]: {
            perTxMax: 10_000n,
            windows: [
              { seconds: 3600, maxAmount: 20_000n, maxCount: 5 },
              { seconds: 86_400, maxAmount: 50_000n, maxCount: 20 },
            ],
            approvalTiers: [
              { above: 1_000n, required: 1 },
              { above: 5_000n, required: 2 },
            ],
          },
          // Configured, but chain 5 is not in the group's chain list.
          '5:native': { perTxMax: 10_000n, windows: [], approvalTiers: [] },
          // Chain 1 is listed, but its asset is not configured; chain 10's is.
          '10:native': { perTxMax: 10_000n, windows: [], approvalTiers: [] },
        },
      },
      open: {
        chains: [CHAIN],
        whitelistRequired: false,
        holdSeconds: null,
        assets: { [ASSET]: { perTxMax: 1_000_000n, windows: [], approvalTiers: [] } },
      },
    },
  };
}

function rulesOf(p: PolicyDocument, group = GROUP, asset = ASSET): AssetRules {
  const r = p.groups[group]?.assets[asset];
  if (!r) throw new Error(`fixture: no rules for ${group}/${asset}`);
  return r;
}

function intent(over: Partial<TransferIntent> = {}): TransferIntent {
  return {
    kind: 'evm-transfer',
    keyId: KEY_ID,
    chainId: CHAIN,
    nonce: 7n,
    asset: ASSET,
    to: TO,
    amount: 500n,
    data: new Uint8Array(0),
    maxFee: 21_000n * 30_000_000_000n,
    ...over,
  };
}

interface UsageCall {
  keyId: string;
  asset: string;
  since: number;
}
interface WhitelistCall {
  group: string;
  chainId: bigint;
  address: string;
}

/** In-memory StateView that records every question the evaluator asks. */
class FakeView implements StateView {
  readonly whitelist = new Map<string, number>();
  readonly usageBySince = new Map<number, WindowUsage>();
  defaultUsage: WindowUsage = { amount: 0n, count: 0 };
  readonly usageCalls: UsageCall[] = [];
  readonly whitelistCalls: WhitelistCall[] = [];

  static key(group: string, chainId: bigint, address: Uint8Array): string {
    return `${group}|${chainId}|${bytesToHex(address)}`;
  }
  allow(group: string, chainId: bigint, address: Uint8Array, activeAt: number): this {
    this.whitelist.set(FakeView.key(group, chainId, address), activeAt);
    return this;
  }
  whitelistEntry(group: string, chainId: bigint, address: Uint8Array): WhitelistEntryView | undefined {
    this.whitelistCalls.push({ group, chainId, address: bytesToHex(address) });
    const activeAt = this.whitelist.get(FakeView.key(group, chainId, address));
    return activeAt === undefined ? undefined : { activeAt };
  }
  windowUsage(keyId: string, asset: string, since: number): WindowUsage {
    this.usageCalls.push({ keyId, asset, since });
    const u = this.usageBySince.get(since) ?? this.defaultUsage;
    return { amount: u.amount, count: u.count };
  }
}

/** TO is whitelisted for the hot group on CHAIN and chain 10, its hold long over. */
function whitelistedView(): FakeView {
  return new FakeView().allow(GROUP, CHAIN, TO, NOW - 86_400).allow(GROUP, 10n, TO, NOW - 86_400);
}

interface ApproveOptions {
  expiresAt?: number;
  deviceId?: string;
  /** Sign over this digest instead of the intent's. */
  digest?: Uint8Array;
  /** Submit under this approver id (the signature is still the signer's). */
  approverId?: string;
  /** Sign a statement with this expiry but submit `expiresAt`. */
  signedExpiresAt?: number;
}

function approve(signer: Signer, forIntent: TransferIntent, o: ApproveOptions = {}): Approval {
  const expiresAt = o.expiresAt ?? NOW + 600;
  const approverId = o.approverId ?? signer.id;
  const statement = encodeApprovalStatement({
    deviceId: o.deviceId ?? DEVICE,
    intentDigest: o.digest ?? intentDigest(forIntent),
    approverId,
    expiresAt: o.signedExpiresAt ?? expiresAt,
  });
  return { approverId, expiresAt, signature: signer.sign(statement) };
}

interface RunOptions {
  group?: string;
  requester?: string;
  now?: number;
}

function run(policy: PolicyDocument, view: StateView, i: TransferIntent, approvals: readonly Approval[] = [], o: RunOptions = {}): Decision {
  return evaluate(policy, view, { intent: i, keyGroup: o.group ?? GROUP, requester: o.requester ?? REQUESTER }, approvals, o.now ?? NOW);
}

const codes = (d: Decision): string[] => d.reasons.map((r) => `${r.rule}/${r.code}`);

function assertDenied(d: Decision, expected: string[]): void {
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(codes(d), expected);
  assert.equal(d.reserve, undefined, 'a denial reserves nothing');
}

function assertAllowed(d: Decision, i: TransferIntent): void {
  assert.deepEqual(codes(d), [], 'no reasons on allow');
  assert.equal(d.outcome, 'allow');
  assert.deepEqual(d.reserve, { keyId: i.keyId, asset: i.asset, amount: i.amount });
}

/** A policy whose hot asset has no approval tiers, for limit tests. */
function noTierPolicy(): PolicyDocument {
  const p = basePolicy();
  rulesOf(p).approvalTiers = [];
  return p;
}

// ---------------------------------------------------------------------------------------------

describe('deny by default', () => {
  test('unknown key group: deny key-group/unknown_key_group, nothing else consulted', () => {
    const view = whitelistedView();
    const d = run(basePolicy(), view, intent(), [], { group: 'cold' });
    assertDenied(d, ['key-group/unknown_key_group']);
    assert.deepEqual(d.reasons[0]?.detail, { group: 'cold' });
    assert.deepEqual(d.approvals, { required: 0, counted: [], rejected: [] });
    assert.equal(view.usageCalls.length, 0);
    assert.equal(view.whitelistCalls.length, 0);
  });

  test('a key group named like an Object.prototype member is unknown, not a crash', () => {
    // Group names come from the key registry; "constructor" etc. are not groups of this policy.
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
      let d: Decision | undefined;
      assert.doesNotThrow(() => {
        d = run(basePolicy(), whitelistedView(), intent(), [], { group: name });
      }, `evaluate threw for key group "${name}"`);
      assert.ok(d);
      assertDenied(d, ['key-group/unknown_key_group']);
    }
  });

  test('chain not in the group list: deny chain-allowlist/chain_not_allowed', () => {
    const i = intent({ chainId: 5n, asset: '5:native' });
    const view = new FakeView().allow(GROUP, 5n, TO, NOW - 86_400);
    const d = run(noTierPolicy(), view, i);
    assertDenied(d, ['chain-allowlist/chain_not_allowed']);
    assert.deepEqual(d.reasons[0]?.detail, { chainId: 5n });
  });

  test('a chain in the list with its asset configured is allowed (control for the two tests around it)', () => {
    const i = intent({ chainId: 10n, asset: '10:native' });
    assertAllowed(run(noTierPolicy(), whitelistedView(), i), i);
  });

  test('asset not configured for the group: deny asset/asset_not_allowed, no limit or usage lookup', () => {
    const i = intent({ chainId: 1n, asset: '1:native' });
    const view = new FakeView().allow(GROUP, 1n, TO, NOW - 86_400);
    const d = run(basePolicy(), view, i);
    assertDenied(d, ['asset/asset_not_allowed']);
    assert.deepEqual(d.reasons[0]?.detail, { asset: '1:native' });
    assert.equal(view.usageCalls.length, 0);
  });

  test('contract creation (to = null): deny calldata/contract_creation_not_allowed', () => {
    const view = whitelistedView();
    const d = run(noTierPolicy(), view, intent({ to: null, data: Uint8Array.of(0x60, 0x80) }));
    assertDenied(d, ['calldata/contract_creation_not_allowed']);
    assert.equal(view.whitelistCalls.length, 0, 'no recipient to look up');
  });

  test('contract creation is denied even for a group without whitelist and with empty init code', () => {
    const d = run(basePolicy(), new FakeView(), intent({ to: null }), [], { group: 'open' });
    assertDenied(d, ['calldata/contract_creation_not_allowed']);
  });

  test('non-empty calldata: deny calldata/calldata_not_allowed', () => {
    // An ERC-20 transfer selector to a whitelisted address is still not a plain transfer.
    const d = run(noTierPolicy(), whitelistedView(), intent({ data: Uint8Array.of(0xa9, 0x05, 0x9c, 0xbb) }));
    assertDenied(d, ['calldata/calldata_not_allowed']);
    const one = run(noTierPolicy(), whitelistedView(), intent({ data: Uint8Array.of(0) }));
    assertDenied(one, ['calldata/calldata_not_allowed']);
  });
});

describe('whitelist', () => {
  test('recipient not whitelisted: deny whitelist/not_whitelisted', () => {
    const view = whitelistedView();
    const d = run(noTierPolicy(), view, intent({ to: OTHER_TO }));
    assertDenied(d, ['whitelist/not_whitelisted']);
    assert.deepEqual(d.reasons[0]?.detail, { to: OTHER_TO });
    assert.deepEqual(view.whitelistCalls, [{ group: GROUP, chainId: CHAIN, address: bytesToHex(OTHER_TO) }]);
  });

  test('an entry of another group or another chain does not whitelist the recipient', () => {
    const otherGroup = new FakeView().allow('open', CHAIN, TO, NOW - 86_400);
    assertDenied(run(noTierPolicy(), otherGroup, intent()), ['whitelist/not_whitelisted']);
    const otherChain = new FakeView().allow(GROUP, 1n, TO, NOW - 86_400);
    assertDenied(run(noTierPolicy(), otherChain, intent()), ['whitelist/not_whitelisted']);
  });

  test('entry still in its hold (activeAt > now): deny whitelist/whitelist_hold', () => {
    const view = new FakeView().allow(GROUP, CHAIN, TO, NOW + 1);
    const d = run(noTierPolicy(), view, intent());
    assertDenied(d, ['whitelist/whitelist_hold']);
    assert.deepEqual(d.reasons[0]?.detail, { to: TO, activeAt: NOW + 1 });
  });

  test('exactly at activeAt the entry is usable', () => {
    const i = intent();
    const view = new FakeView().allow(GROUP, CHAIN, TO, NOW);
    assertAllowed(run(noTierPolicy(), view, i), i);
    // and one second earlier it is not
    assertDenied(run(noTierPolicy(), view, i, [], { now: NOW - 1 }), ['whitelist/whitelist_hold']);
  });

  test('whitelistRequired false: no whitelist lookup, any recipient allowed', () => {
    const view = new FakeView();
    const i = intent({ to: OTHER_TO });
    assertAllowed(run(basePolicy(), view, i, [], { group: 'open' }), i);
    assert.equal(view.whitelistCalls.length, 0);
  });
});

describe('per-transaction limit', () => {
  test('amount == perTxMax is allowed', () => {
    const i = intent({ amount: 10_000n });
    assertAllowed(run(noTierPolicy(), whitelistedView(), i), i);
  });

  test('perTxMax + 1 is denied per-tx-limit/per_tx_limit', () => {
    const d = run(noTierPolicy(), whitelistedView(), intent({ amount: 10_001n }));
    assertDenied(d, ['per-tx-limit/per_tx_limit']);
    assert.deepEqual(d.reasons[0]?.detail, { amount: 10_001n, limit: 10_000n });
  });

  test('limits at the top of the 256-bit range compare exactly (no number rounding)', () => {
    const p = noTierPolicy();
    const r = rulesOf(p);
    r.perTxMax = MAX_UINT256 - 1n;
    r.windows = [];
    const ok = intent({ amount: MAX_UINT256 - 1n });
    assertAllowed(run(p, whitelistedView(), ok), ok);
    assertDenied(run(p, whitelistedView(), intent({ amount: MAX_UINT256 })), ['per-tx-limit/per_tx_limit']);
  });

  test('amount 0 is allowed', () => {
    const i = intent({ amount: 0n });
    assertAllowed(run(basePolicy(), whitelistedView(), i), i);
  });
});

describe('velocity windows', () => {
  test('used + amount == maxAmount is allowed; one more unit is denied velocity-window/window_amount', () => {
    const view = whitelistedView();
    view.usageBySince.set(NOW - 3600, { amount: 15_000n, count: 1 });
    const i = intent({ amount: 5_000n });
    assertAllowed(run(noTierPolicy(), view, i), i);

    const over = whitelistedView();
    over.usageBySince.set(NOW - 3600, { amount: 15_001n, count: 1 });
    const d = run(noTierPolicy(), over, i);
    assertDenied(d, ['velocity-window/window_amount']);
    assert.deepEqual(d.reasons[0]?.detail, { seconds: 3600, used: 15_001n, amount: 5_000n, limit: 20_000n });
  });

  test('each window is judged on its own: the 24 h window can deny while the 1 h window allows', () => {
    const view = whitelistedView();
    view.usageBySince.set(NOW - 3600, { amount: 0n, count: 0 });
    view.usageBySince.set(NOW - 86_400, { amount: 49_501n, count: 3 });
    const d = run(noTierPolicy(), view, intent({ amount: 500n }));
    assertDenied(d, ['velocity-window/window_amount']);
    assert.equal(d.reasons[0]?.detail?.seconds, 86_400);
  });

  test('count limit: maxCount - 1 prior signatures allowed, maxCount denied velocity-window/window_count', () => {
    const ok = whitelistedView();
    ok.usageBySince.set(NOW - 3600, { amount: 0n, count: 4 });
    const i = intent({ amount: 1n });
    assertAllowed(run(noTierPolicy(), ok, i), i);

    const full = whitelistedView();
    full.usageBySince.set(NOW - 3600, { amount: 0n, count: 5 });
    const d = run(noTierPolicy(), full, i);
    assertDenied(d, ['velocity-window/window_count']);
    assert.deepEqual(d.reasons[0]?.detail, { seconds: 3600, used: 5, limit: 5 });
  });

  test('amount and count over in two windows: four reasons, in window order', () => {
    const view = whitelistedView();
    view.defaultUsage = { amount: 60_000n, count: 25 };
    const d = run(noTierPolicy(), view, intent({ amount: 1n }));
    assertDenied(d, ['velocity-window/window_amount', 'velocity-window/window_count', 'velocity-window/window_amount', 'velocity-window/window_count']);
    assert.deepEqual(
      d.reasons.map((r) => r.detail?.seconds),
      [3600, 3600, 86_400, 86_400],
    );
  });

  test('the view is asked for usage since now - seconds, per window, for this key and asset', () => {
    const view = whitelistedView();
    const i = intent({ keyId: 'key-x' });
    run(noTierPolicy(), view, i, [], { now: NOW + 17 });
    assert.deepEqual(view.usageCalls, [
      { keyId: 'key-x', asset: ASSET, since: NOW + 17 - 3600 },
      { keyId: 'key-x', asset: ASSET, since: NOW + 17 - 86_400 },
    ]);
  });

  test('no windows: the view is not asked for usage', () => {
    const p = noTierPolicy();
    rulesOf(p).windows = [];
    const view = whitelistedView();
    view.defaultUsage = { amount: MAX_UINT256, count: Number.MAX_SAFE_INTEGER };
    const i = intent();
    assertAllowed(run(p, view, i), i);
    assert.equal(view.usageCalls.length, 0);
  });
});

describe('approval tiers', () => {
  test('amount == above needs no approval', () => {
    const i = intent({ amount: 1_000n });
    const d = run(basePolicy(), whitelistedView(), i);
    assertAllowed(d, i);
    assert.equal(d.approvals.required, 0);
  });

  test('above the tier: needs_approval with required m and 0 valid', () => {
    const d = run(basePolicy(), whitelistedView(), intent({ amount: 1_001n }));
    assert.equal(d.outcome, 'needs_approval');
    assert.deepEqual(codes(d), ['approval-tier/needs_approval']);
    assert.deepEqual(d.reasons[0]?.detail, { required: 1, valid: 0 });
    assert.deepEqual(d.approvals, { required: 1, counted: [], rejected: [] });
    assert.equal(d.reserve, undefined);
  });

  test('one valid approval satisfies the first tier', () => {
    const i = intent({ amount: 1_001n });
    const d = run(basePolicy(), whitelistedView(), i, [approve(alice, i)]);
    assertAllowed(d, i);
    assert.deepEqual(d.approvals, { required: 1, counted: ['alice'], rejected: [] });
  });

  test('the highest applicable tier wins (whatever the order the tiers are listed in)', () => {
    for (const reversed of [false, true]) {
      const p = basePolicy();
      if (reversed) rulesOf(p).approvalTiers.reverse();
      const i = intent({ amount: 5_001n });
      const one = run(p, whitelistedView(), i, [approve(alice, i)]);
      assert.equal(one.outcome, 'needs_approval');
      assert.deepEqual(one.reasons[0]?.detail, { required: 2, valid: 1 });
      const two = run(p, whitelistedView(), i, [approve(alice, i), approve(bob, i)]);
      assertAllowed(two, i);
      assert.deepEqual(two.approvals.counted, ['alice', 'bob']);
      // exactly at the second tier's bound only the first applies
      const atBound = intent({ amount: 5_000n });
      assertAllowed(run(p, whitelistedView(), atBound, [approve(carol, atBound)]), atBound);
    }
  });

  test('m valid distinct approvers: allow with reserve = {keyId, asset, amount}', () => {
    const i = intent({ amount: 9_999n, keyId: 'key-hot-2' });
    const d = run(basePolicy(), whitelistedView(), i, [approve(carol, i), approve(dave, i)]);
    assert.equal(d.outcome, 'allow');
    assert.deepEqual(d.reserve, { keyId: 'key-hot-2', asset: ASSET, amount: 9_999n });
    assert.deepEqual(d.approvals, { required: 2, counted: ['carol', 'dave'], rejected: [] });
  });

  test('mixed ES256 and EdDSA approvers count together', () => {
    const i = intent({ amount: 6_000n });
    assert.equal(alice.alg, 'ES256');
    assert.equal(dave.alg, 'EdDSA');
    assertAllowed(run(basePolicy(), whitelistedView(), i, [approve(dave, i), approve(alice, i)]), i);
  });

  test('more valid approvals than needed: all counted, still allow', () => {
    const i = intent({ amount: 6_000n });
    const d = run(
      basePolicy(),
      whitelistedView(),
      i,
      [alice, bob, carol, dave].map((s) => approve(s, i)),
    );
    assertAllowed(d, i);
    assert.deepEqual(d.approvals.counted, ['alice', 'bob', 'carol', 'dave']);
  });

  test('an approval survives a fee bump (fee fields are outside the intent digest)', () => {
    const i = intent({ amount: 1_001n });
    const bumped = intent({ amount: 1_001n, maxFee: i.maxFee * 2n });
    assertAllowed(run(basePolicy(), whitelistedView(), bumped, [approve(alice, i)]), bumped);
  });

  describe('approvals that do not count', () => {
    const i = intent({ amount: 1_001n });

    function rejectedOnly(approvals: Approval[], expected: RejectedApproval[], o: RunOptions = {}): void {
      const d = run(basePolicy(), whitelistedView(), i, approvals, o);
      assert.equal(d.outcome, 'needs_approval');
      assert.deepEqual(d.approvals.counted, []);
      assert.deepEqual(d.approvals.rejected, expected);
      assert.equal(d.reserve, undefined);
    }

    test('expired: expiresAt == now and expiresAt < now', () => {
      rejectedOnly([approve(alice, i, { expiresAt: NOW })], [{ approverId: 'alice', why: 'expired' }]);
      rejectedOnly([approve(alice, i, { expiresAt: NOW - 1 })], [{ approverId: 'alice', why: 'expired' }]);
      // one second later than now still counts
      assertAllowed(run(basePolicy(), whitelistedView(), i, [approve(alice, i, { expiresAt: NOW + 1 })]), i);
    });

    test('lifetime_too_long: an approval expiring further ahead than the policy allows (default 24 h) does not count', () => {
      const tenYears = NOW + 10 * 365 * 86_400;
      rejectedOnly([approve(alice, i, { expiresAt: tenYears })], [{ approverId: 'alice', why: 'lifetime_too_long' }]);
      rejectedOnly([approve(alice, i, { expiresAt: NOW + 86_401 })], [{ approverId: 'alice', why: 'lifetime_too_long' }]);
      // exactly the cap counts
      assertAllowed(run(basePolicy(), whitelistedView(), i, [approve(alice, i, { expiresAt: NOW + 86_400 })]), i);
      // the policy's own cap: shorter refuses what the default allowed, longer admits what it refused
      const short = { ...basePolicy(), maxApprovalLifetimeSeconds: 600 };
      const d = run(short, whitelistedView(), i, [approve(alice, i, { expiresAt: NOW + 601 })]);
      assert.deepEqual(d.approvals.rejected, [{ approverId: 'alice', why: 'lifetime_too_long' }]);
      assertAllowed(run(short, whitelistedView(), i, [approve(alice, i, { expiresAt: NOW + 600 })]), i);
      const week = { ...basePolicy(), maxApprovalLifetimeSeconds: 7 * 86_400 };
      assertAllowed(run(week, whitelistedView(), i, [approve(alice, i, { expiresAt: NOW + 7 * 86_400 })]), i);
      // the same approval counts once now has come close enough to its expiry
      assertAllowed(run(basePolicy(), whitelistedView(), i, [approve(alice, i, { expiresAt: NOW + 86_401 })], { now: NOW + 1 }), i);
    });

    test('unknown approver (validly signed by a key the policy does not list)', () => {
      rejectedOnly([approve(mallory, i)], [{ approverId: 'mallory', why: 'unknown_approver' }]);
    });

    test('an admin who is not an approver is unknown', () => {
      rejectedOnly([approve(admin, i)], [{ approverId: 'admin-1', why: 'unknown_approver' }]);
    });

    test('the requester cannot approve its own request', () => {
      rejectedOnly([approve(alice, i)], [{ approverId: 'alice', why: 'requester_cannot_approve' }], { requester: 'alice' });
    });

    test('duplicates of one approver count once', () => {
      const big = intent({ amount: 6_000n });
      const d = run(basePolicy(), whitelistedView(), big, [approve(bob, big), approve(bob, big), approve(bob, big, { expiresAt: NOW + 9_000 })]);
      assert.equal(d.outcome, 'needs_approval');
      assert.deepEqual(d.approvals.counted, ['bob']);
      assert.deepEqual(d.approvals.rejected, [
        { approverId: 'bob', why: 'duplicate' },
        { approverId: 'bob', why: 'duplicate' },
      ]);
    });

    test('signed over another intent digest (another nonce, amount, recipient)', () => {
      for (const other of [intent({ amount: 1_001n, nonce: 8n }), intent({ amount: 1_002n }), intent({ amount: 1_001n, to: OTHER_TO })]) {
        rejectedOnly([approve(alice, other)], [{ approverId: 'alice', why: 'bad_signature' }]);
      }
      rejectedOnly([approve(bob, i, { digest: new Uint8Array(32) })], [{ approverId: 'bob', why: 'bad_signature' }]);
    });

    test('signed for another deviceId', () => {
      rejectedOnly([approve(alice, i, { deviceId: 'dev-test-2' })], [{ approverId: 'alice', why: 'bad_signature' }]);
      rejectedOnly([approve(bob, i, { deviceId: 'dev-test-2' })], [{ approverId: 'bob', why: 'bad_signature' }]);
    });

    test('submitted with a later expiry than the one signed', () => {
      rejectedOnly([approve(alice, i, { expiresAt: NOW + 86_400, signedExpiresAt: NOW + 60 })], [{ approverId: 'alice', why: 'bad_signature' }]);
    });

    test("signed by another key under an approver's id", () => {
      rejectedOnly([approve(carol, i, { approverId: 'alice' })], [{ approverId: 'alice', why: 'bad_signature' }]);
      rejectedOnly([approve(dave, i, { approverId: 'bob' })], [{ approverId: 'bob', why: 'bad_signature' }]);
    });

    test('garbage signatures of any length are bad_signature, not an exception', () => {
      for (const sig of [new Uint8Array(0), new Uint8Array(64), new Uint8Array(72).fill(0x30), new Uint8Array(1000).fill(0xff)]) {
        rejectedOnly(
          [
            { approverId: 'alice', expiresAt: NOW + 60, signature: sig },
            { approverId: 'bob', expiresAt: NOW + 60, signature: sig },
          ],
          [
            { approverId: 'alice', why: 'bad_signature' },
            { approverId: 'bob', why: 'bad_signature' },
          ],
        );
      }
    });

    test('all of them together, plus one valid: needs_approval for the 2-of-n tier, reasons in order', () => {
      const big = intent({ amount: 6_000n });
      const approvals = [
        approve(alice, big, { expiresAt: NOW }),
        approve(mallory, big),
        approve(carol, big), // requester
        approve(bob, big),
        approve(bob, big),
        approve(dave, intent({ amount: 6_000n, nonce: 99n })),
        approve(dave, big, { deviceId: 'elsewhere' }),
      ];
      const d = run(basePolicy(), whitelistedView(), big, approvals, { requester: 'carol' });
      assert.equal(d.outcome, 'needs_approval');
      assert.deepEqual(d.reasons[0]?.detail, { required: 2, valid: 1 });
      assert.deepEqual(d.approvals, {
        required: 2,
        counted: ['bob'],
        rejected: [
          { approverId: 'alice', why: 'expired' },
          { approverId: 'mallory', why: 'unknown_approver' },
          { approverId: 'carol', why: 'requester_cannot_approve' },
          { approverId: 'bob', why: 'duplicate' },
          { approverId: 'dave', why: 'bad_signature' },
          { approverId: 'dave', why: 'bad_signature' },
        ],
      });
    });

    test('a bad approval of an approver does not block a later valid one of the same approver', () => {
      const d = run(basePolicy(), whitelistedView(), i, [approve(alice, i, { deviceId: 'elsewhere' }), approve(alice, i)]);
      assertAllowed(d, i);
      assert.deepEqual(d.approvals.rejected, [{ approverId: 'alice', why: 'bad_signature' }]);
    });
  });
});

describe('all deny reasons are reported together', () => {
  test('not whitelisted AND over the per-tx limit AND over a window', () => {
    const view = new FakeView();
    view.defaultUsage = { amount: 15_000n, count: 0 };
    const d = run(noTierPolicy(), view, intent({ amount: 10_001n, to: OTHER_TO }));
    assertDenied(d, ['whitelist/not_whitelisted', 'per-tx-limit/per_tx_limit', 'velocity-window/window_amount']);
  });

  test('chain not allowed AND calldata AND unknown asset', () => {
    const d = run(basePolicy(), whitelistedView(), intent({ chainId: 99n, asset: '99:native', data: Uint8Array.of(1) }));
    assertDenied(d, ['chain-allowlist/chain_not_allowed', 'calldata/calldata_not_allowed', 'asset/asset_not_allowed']);
  });

  test('in hold AND window count, with calldata', () => {
    const view = new FakeView().allow(GROUP, CHAIN, TO, NOW + 60);
    view.defaultUsage = { amount: 0n, count: 5 };
    const d = run(noTierPolicy(), view, intent({ data: Uint8Array.of(1) }));
    assertDenied(d, ['calldata/calldata_not_allowed', 'whitelist/whitelist_hold', 'velocity-window/window_count']);
  });

  test('a denial stays a denial with enough valid approvals, and the tally is still reported', () => {
    const i = intent({ amount: 10_001n });
    const d = run(basePolicy(), whitelistedView(), i, [approve(alice, i), approve(bob, i)]);
    assertDenied(d, ['per-tx-limit/per_tx_limit']);
    assert.deepEqual(d.approvals, { required: 2, counted: ['alice', 'bob'], rejected: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const SEED = 20240611;
const u256 = fc.oneof(fc.constantFrom(0n, 1n, 1_000n, 1_001n, 5_000n, 10_000n, 10_001n, MAX_UINT256), fc.bigInt({ min: 0n, max: MAX_UINT256 }));
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('properties', () => {
  test('determinism: the same inputs give deep-equal decisions, and inputs are not mutated', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 12_000n }),
        u64,
        fc.bigInt({ min: 0n, max: 60_000n }),
        fc.nat({ max: 25 }),
        fc.subarray(['alice', 'bob', 'carol', 'dave', 'mallory']),
        fc.integer({ min: -3600, max: 3600 }),
        fc.constantFrom(REQUESTER, 'alice', 'bob'),
        (amount, nonce, usedAmount, usedCount, signers, holdShift, requester) => {
          const i = intent({ amount, nonce });
          const bySigner: Record<string, Signer> = { alice, bob, carol, dave, mallory };
          const approvals = signers.map((id) => approve(bySigner[id]!, i));
          const mk = () => {
            const v = new FakeView().allow(GROUP, CHAIN, TO, NOW + holdShift);
            v.defaultUsage = { amount: usedAmount, count: usedCount };
            return v;
          };
          const policy = basePolicy();
          const d1 = evaluate(policy, mk(), { intent: i, keyGroup: GROUP, requester }, approvals, NOW);
          const d2 = evaluate(
            basePolicy(),
            mk(),
            { intent: intent({ amount, nonce }), keyGroup: GROUP, requester },
            approvals.map((a) => ({ ...a, signature: Uint8Array.from(a.signature) })),
            NOW,
          );
          assert.deepEqual(d1, d2);
          assert.deepEqual(policy, basePolicy(), 'the policy is not mutated');
          assert.deepEqual(i, intent({ amount, nonce }), 'the intent is not mutated');
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  test('decisions share no mutable state: changing one returned decision does not change the next', () => {
    const first = run(basePolicy(), whitelistedView(), intent(), [], { group: 'cold' });
    first.approvals.counted.push('tampered');
    first.approvals.rejected.push({ approverId: 'x', why: 'expired' });
    const second = run(basePolicy(), whitelistedView(), intent(), [], { group: 'cold' });
    assert.deepEqual(second.approvals, { required: 0, counted: [], rejected: [] });
    const i = intent({ amount: 1n });
    const allowed = run(basePolicy(), whitelistedView(), i);
    allowed.approvals.counted.push('tampered');
    assert.deepEqual(run(basePolicy(), whitelistedView(), i).approvals, { required: 0, counted: [], rejected: [] });
  });

  test('evaluate never throws for random amounts, nonces, usage, limits, recipients and approvals in the 256-bit range', () => {
    const approvalArb = fc.record({
      approverId: fc.oneof(fc.constantFrom('alice', 'bob', 'carol', 'dave', 'mallory', ''), fc.string({ maxLength: 8 })),
      expiresAt: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      signature: fc.uint8Array({ maxLength: 100 }),
    });
    fc.assert(
      fc.property(
        u256,
        u64,
        u256,
        fc.nat(),
        u256,
        u256,
        fc.oneof(fc.constantFrom(CHAIN, 10n, 1n), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n })),
        fc.oneof(fc.constant(TO), fc.constant(null), fc.uint8Array({ minLength: 20, maxLength: 20 })),
        fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 4 })),
        fc.array(approvalArb, { maxLength: 4 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.constantFrom(GROUP, 'open', 'nope'),
        (amount, nonce, usedAmount, usedCount, perTxMax, windowMax, chainId, to, data, approvals, now, group) => {
          const p = basePolicy();
          const r = rulesOf(p);
          r.perTxMax = perTxMax;
          r.windows = [{ seconds: 60, maxAmount: windowMax, maxCount: 3 }, ...r.windows];
          const v = new FakeView().allow(GROUP, CHAIN, TO, now);
          v.defaultUsage = { amount: usedAmount, count: usedCount };
          const i = intent({ amount, nonce, chainId, asset: chainId === CHAIN ? ASSET : `${chainId}:native`, to, data });
          const d = evaluate(
            p,
            v,
            { intent: i, keyGroup: group, requester: 'bob' },
            approvals.map((a) => ({ ...a })),
            now,
          );
          assert.ok(['allow', 'deny', 'needs_approval'].includes(d.outcome));
          if (d.outcome === 'allow') {
            assert.deepEqual(d.reasons, []);
            assert.deepEqual(d.reserve, { keyId: i.keyId, asset: i.asset, amount });
          } else {
            assert.ok(d.reasons.length > 0);
            assert.equal(d.reserve, undefined);
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  test('monotonicity: allowed with window usage U implies allowed with any smaller usage', () => {
    let allowedRuns = 0;
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 12_000n }),
        fc.bigInt({ min: 0n, max: 22_000n }),
        fc.nat({ max: 6 }),
        fc.bigInt({ min: 0n, max: 22_000n }),
        fc.nat({ max: 6 }),
        (amount, a1, c1, a2, c2) => {
          const i = intent({ amount });
          const approvals = [approve(alice, i), approve(bob, i)];
          const withUsage = (u: WindowUsage) => {
            const v = whitelistedView();
            v.defaultUsage = u;
            return run(basePolicy(), v, i, approvals);
          };
          const big: WindowUsage = { amount: a1 > a2 ? a1 : a2, count: Math.max(c1, c2) };
          const small: WindowUsage = { amount: a1 > a2 ? a2 : a1, count: Math.min(c1, c2) };
          const dBig = withUsage(big);
          if (dBig.outcome !== 'allow') return;
          allowedRuns++;
          const dSmall = withUsage(small);
          assert.equal(dSmall.outcome, 'allow', `allowed with ${big.amount}/${big.count} but not with ${small.amount}/${small.count}`);
          assert.deepEqual(dSmall.reserve, dBig.reserve);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
    assert.ok(allowedRuns > 10, `only ${allowedRuns} runs were allowed: the property was barely exercised`);
  });
});
