// Policy changes (firmware-policy/policy-change.ts, DESIGN.md invariant 5): the field-by-field diff,
// its stable order and Markdown rendering, the stricter/looser classification of every field kind,
// and the soundness property "a stricter policy never allows what a looser one denied", checked
// against the real evaluator with real approver signatures (P-256 and Ed25519) over random policies,
// random tightenings, random state views, intents, approvals and times.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { diffPolicies, isStrictlyTighter, renderDiff } from '../../firmware-policy/policy-change.js';
import { evaluate } from '../../firmware-policy/evaluate.js';
import type { Outcome } from '../../firmware-policy/decision.js';
import {
  DEFAULT_HOLD_SECONDS,
  groupHoldSeconds,
  maxApprovalLifetimeSeconds,
  nativeAssetId,
  parsePolicy,
  policyToCbor,
  type AssetRules,
  type FeeCap,
  type GroupPolicy,
  type PolicyDocument,
  type Principal,
} from '../../firmware-policy/policy-document.js';
import type { StateView, WhitelistEntryView, WindowUsage } from '../../firmware-policy/state-view.js';
import { intentDigest, type TransferIntent } from '../../firmware-policy/intent.js';
import { encodeApprovalStatement, type Approval } from '../../firmware-policy/approvals/statement.js';
import type { ApprovalAlg } from '../../firmware-policy/approvals/verify-signature.js';

// ---------------------------------------------------------------------------------------------
// Signers: real keys, generated once from fixed seeds.

interface Signer {
  id: string;
  alg: ApprovalAlg;
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

function es256Signer(id: string, seedByte: number): Signer {
  const { secretKey } = p256.keygen(new Uint8Array(48).fill(seedByte));
  return { id, alg: 'ES256', publicKey: p256.getPublicKey(secretKey, false), sign: (m) => p256.sign(m, secretKey, { prehash: true, format: 'der' }) };
}

function ed25519Signer(id: string, seedByte: number): Signer {
  const { secretKey, publicKey } = ed25519.keygen(new Uint8Array(32).fill(seedByte));
  return { id, alg: 'EdDSA', publicKey, sign: (m) => ed25519.sign(m, secretKey) };
}

const APPROVERS = [es256Signer('alice', 11), ed25519Signer('bob', 12), es256Signer('carol', 13), ed25519Signer('dave', 14)] as const;
/** Never in a generated policy: the loosening mutations add them, or lend their keys. */
const OUTSIDERS = [es256Signer('mallory', 15), ed25519Signer('trent', 16)] as const;
const ADMINS = [es256Signer('admin-1', 21), ed25519Signer('admin-2', 22), es256Signer('admin-3', 23)] as const;
const NEW_ADMIN = ed25519Signer('admin-9', 29);

const principal = (s: Signer): Principal => ({ id: s.id, alg: s.alg, publicKey: s.publicKey });

const DEVICE = 'dev-pc-1';
const NOW = 1_700_000_000;
const HOT_ASSET = '31337:native';

// ---------------------------------------------------------------------------------------------
// Unit fixture

function basePolicy(): PolicyDocument {
  return {
    version: 3,
    parentHash: new Uint8Array(32).fill(7),
    deviceId: DEVICE,
    defaultHoldSeconds: DEFAULT_HOLD_SECONDS,
    feeCaps: { '31337': { maxGasLimit: 500_000n, maxFeeWei: 10n ** 16n } },
    admins: ADMINS.slice(0, 2).map(principal),
    adminQuorum: 1,
    approvers: APPROVERS.slice(0, 3).map(principal),
    requesters: [{ id: 'orchestrator' }, { id: 'alice' }],
    groups: {
      hot: {
        chains: [31337n, 1n],
        whitelistRequired: true,
        holdSeconds: 3600,
        assets: {
          [HOT_ASSET]: {
            perTxMax: 10_000n,
            windows: [
              { seconds: 3600, maxAmount: 20_000n, maxCount: 5 },
              { seconds: 86_400, maxAmount: 50_000n, maxCount: 20 },
            ],
            approvalTiers: [
              { above: 1_000n, required: 1 },
              { above: 5_000n, required: 2 },
            ],
            decimals: 18,
            allowUnlimitedApproval: true,
          },
          '1:native': { perTxMax: 500n, windows: [], approvalTiers: [] },
        },
        contracts: [{ chainId: 31337n, address: new Uint8Array(20).fill(0xcc), selectors: [new Uint8Array(4).fill(0x11), new Uint8Array(4).fill(0x22)] }],
        typedData: [{ chainId: 31337n, verifyingContract: new Uint8Array(20).fill(0xdd) }],
        safes: [{ chainId: 31337n, address: new Uint8Array(20).fill(0x5a) }],
      },
      open: {
        chains: [31337n],
        whitelistRequired: false,
        holdSeconds: null,
        assets: { [HOT_ASSET]: { perTxMax: 1_000_000n, windows: [], approvalTiers: [], approvalCap: 1_000n } },
      },
    },
  };
}

function variant(change: (p: PolicyDocument) => void): PolicyDocument {
  const p = basePolicy();
  change(p);
  return p;
}

function must<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new Error(`fixture: no ${what}`);
  return x;
}
const hot = (p: PolicyDocument): GroupPolicy => must(p.groups.hot, 'group hot');
const open = (p: PolicyDocument): GroupPolicy => must(p.groups.open, 'group open');
const hotRules = (p: PolicyDocument): AssetRules => must(hot(p).assets[HOT_ASSET], 'hot asset');

const A = `groups.hot.assets.${HOT_ASSET}`;

interface Case {
  name: string;
  change: (p: PolicyDocument) => void;
  /** Every path the diff reports, in order. */
  paths: string[];
}

const STRICTER: Case[] = [
  { name: 'perTxMax lowered', change: (p) => void (hotRules(p).perTxMax = 9_999n), paths: [`${A}.perTxMax`] },
  { name: 'window maxAmount lowered', change: (p) => void (hotRules(p).windows[0]!.maxAmount = 1n), paths: [`${A}.windows[seconds=3600].maxAmount`] },
  { name: 'window maxCount lowered', change: (p) => void (hotRules(p).windows[1]!.maxCount = 0), paths: [`${A}.windows[seconds=86400].maxCount`] },
  {
    name: 'window lengthened (same limits)',
    change: (p) => void (hotRules(p).windows[0]!.seconds = 7200),
    paths: [`${A}.windows[seconds=3600]`, `${A}.windows[seconds=7200]`],
  },
  { name: 'window added', change: (p) => void hotRules(p).windows.push({ seconds: 60, maxAmount: 100n, maxCount: 1 }), paths: [`${A}.windows[seconds=60]`] },
  {
    name: 'window removed that a longer, tighter window covers',
    change: (p) => {
      hotRules(p).windows = [{ seconds: 86_400, maxAmount: 20_000n, maxCount: 5 }];
    },
    paths: [`${A}.windows[seconds=3600]`, `${A}.windows[seconds=86400].maxAmount`, `${A}.windows[seconds=86400].maxCount`],
  },
  {
    name: 'window limit raised where a longer window is already tighter',
    change: (p) => {
      hotRules(p).windows[1]!.maxAmount = 10_000n;
      hotRules(p).windows[0]!.maxAmount = 30_000n;
    },
    paths: [`${A}.windows[seconds=3600].maxAmount`, `${A}.windows[seconds=86400].maxAmount`],
  },
  { name: 'tier required raised', change: (p) => void (hotRules(p).approvalTiers[0]!.required = 2), paths: [`${A}.approvalTiers[above=1000].required`] },
  {
    name: 'tier threshold lowered',
    change: (p) => void (hotRules(p).approvalTiers[1]!.above = 4_000n),
    paths: [`${A}.approvalTiers[above=4000]`, `${A}.approvalTiers[above=5000]`],
  },
  { name: 'tier added', change: (p) => void hotRules(p).approvalTiers.push({ above: 9_000n, required: 3 }), paths: [`${A}.approvalTiers[above=9000]`] },
  {
    name: 'tier removed that a higher-required tier covers',
    change: (p) => {
      hotRules(p).approvalTiers = [{ above: 1_000n, required: 2 }];
    },
    paths: [`${A}.approvalTiers[above=1000].required`, `${A}.approvalTiers[above=5000]`],
  },
  { name: 'chain removed', change: (p) => void (hot(p).chains = [31337n]), paths: ['groups.hot.chains[1]'] },
  { name: 'asset removed', change: (p) => void delete hot(p).assets['1:native'], paths: ['groups.hot.assets.1:native'] },
  { name: 'group removed', change: (p) => void delete p.groups.open, paths: ['groups.open'] },
  { name: 'whitelistRequired false → true', change: (p) => void (open(p).whitelistRequired = true), paths: ['groups.open.whitelistRequired'] },
  { name: 'group hold lengthened', change: (p) => void (hot(p).holdSeconds = 7200), paths: ['groups.hot.holdSeconds'] },
  { name: 'explicit hold dropped for a longer default', change: (p) => void (hot(p).holdSeconds = null), paths: ['groups.hot.holdSeconds'] },
  { name: 'group hold set above the default it used', change: (p) => void (open(p).holdSeconds = DEFAULT_HOLD_SECONDS + 1), paths: ['groups.open.holdSeconds'] },
  { name: 'defaultHoldSeconds lengthened', change: (p) => void (p.defaultHoldSeconds = DEFAULT_HOLD_SECONDS * 2), paths: ['defaultHoldSeconds'] },
  { name: 'approver removed', change: (p) => void p.approvers.splice(1, 1), paths: ['approvers[id=bob]'] },
  { name: 'requester removed', change: (p) => void p.requesters?.splice(1, 1), paths: ['requesters[id=alice]'] },
  { name: 'admin removed', change: (p) => void p.admins.splice(0, 1), paths: ['admins[id=admin-1]'] },
  { name: 'adminQuorum raised', change: (p) => void (p.adminQuorum = 2), paths: ['adminQuorum'] },
  { name: 'changeDelaySeconds lengthened', change: (p) => void (p.changeDelaySeconds = 7 * 86_400), paths: ['changeDelaySeconds'] },
  { name: 'maxApprovalLifetimeSeconds shortened below the 24 h default', change: (p) => void (p.maxApprovalLifetimeSeconds = 3600), paths: ['maxApprovalLifetimeSeconds'] },
  { name: 'fee cap added', change: (p) => void (p.feeCaps = { ...p.feeCaps, '1': { maxGasLimit: 100_000n, maxFeeWei: 10n ** 15n } }), paths: ['feeCaps.1'] },
  { name: 'fee cap lowered', change: (p) => void (p.feeCaps!['31337']!.maxFeeWei = 1n), paths: ['feeCaps.31337.maxFeeWei'] },
  { name: 'fee gas limit lowered', change: (p) => void (p.feeCaps!['31337']!.maxGasLimit = 21_000n), paths: ['feeCaps.31337.maxGasLimit'] },
  { name: 'contract selector removed', change: (p) => void hot(p).contracts![0]!.selectors.splice(1, 1), paths: [`groups.hot.contracts[31337:0x${'cc'.repeat(20)}:0x22222222]`] },
  { name: 'typed-data domain removed', change: (p) => void (hot(p).typedData = []), paths: [`groups.hot.typedData[31337:0x${'dd'.repeat(20)}]`] },
  { name: 'Safe removed', change: (p) => void (hot(p).safes = []), paths: [`groups.hot.safes[31337:0x${'5a'.repeat(20)}]`] },
  { name: 'approval cap lowered', change: (p) => void (hotRules(p).approvalCap = 100n), paths: [`${A}.approvalCap`] },
  { name: 'unlimited allowance forbidden', change: (p) => void (hotRules(p).allowUnlimitedApproval = false), paths: [`${A}.allowUnlimitedApproval`] },
];

const LOOSER: Case[] = [
  { name: 'perTxMax raised', change: (p) => void (hotRules(p).perTxMax = 10_001n), paths: [`${A}.perTxMax`] },
  { name: 'window maxAmount raised', change: (p) => void (hotRules(p).windows[1]!.maxAmount = 60_000n), paths: [`${A}.windows[seconds=86400].maxAmount`] },
  { name: 'window maxCount raised', change: (p) => void (hotRules(p).windows[0]!.maxCount = 6), paths: [`${A}.windows[seconds=3600].maxCount`] },
  {
    name: 'window shortened',
    change: (p) => void (hotRules(p).windows[1]!.seconds = 43_200),
    paths: [`${A}.windows[seconds=43200]`, `${A}.windows[seconds=86400]`],
  },
  { name: 'window removed', change: (p) => void hotRules(p).windows.splice(0, 1), paths: [`${A}.windows[seconds=3600]`] },
  {
    name: 'window removed whose amount, but not count, a longer window covers',
    change: (p) => {
      hotRules(p).windows = [{ seconds: 86_400, maxAmount: 20_000n, maxCount: 20 }];
    },
    paths: [`${A}.windows[seconds=3600]`, `${A}.windows[seconds=86400].maxAmount`],
  },
  {
    name: 'window count raised where only a shorter window is as tight',
    change: (p) => {
      hotRules(p).windows[0]!.maxCount = 9;
      hotRules(p).windows.push({ seconds: 60, maxAmount: 1n, maxCount: 5 });
    },
    paths: [`${A}.windows[seconds=60]`, `${A}.windows[seconds=3600].maxCount`],
  },
  { name: 'tier required lowered', change: (p) => void (hotRules(p).approvalTiers[1]!.required = 1), paths: [`${A}.approvalTiers[above=5000].required`] },
  {
    name: 'tier threshold raised',
    change: (p) => void (hotRules(p).approvalTiers[0]!.above = 2_000n),
    paths: [`${A}.approvalTiers[above=1000]`, `${A}.approvalTiers[above=2000]`],
  },
  { name: 'tier removed', change: (p) => void hotRules(p).approvalTiers.splice(1, 1), paths: [`${A}.approvalTiers[above=5000]`] },
  { name: 'chain added', change: (p) => void open(p).chains.push(10n), paths: ['groups.open.chains[10]'] },
  { name: 'asset added', change: (p) => void (open(p).assets['10:native'] = { perTxMax: 1n, windows: [], approvalTiers: [] }), paths: ['groups.open.assets.10:native'] },
  { name: 'group added', change: (p) => void (p.groups.cold = { chains: [1n], whitelistRequired: true, holdSeconds: null, assets: {} }), paths: ['groups.cold'] },
  { name: 'whitelistRequired true → false', change: (p) => void (hot(p).whitelistRequired = false), paths: ['groups.hot.whitelistRequired'] },
  { name: 'group hold shortened', change: (p) => void (hot(p).holdSeconds = 60), paths: ['groups.hot.holdSeconds'] },
  {
    name: 'explicit hold replaced by a default that is shorter',
    change: (p) => {
      hot(p).holdSeconds = null;
      p.defaultHoldSeconds = 60;
    },
    paths: ['defaultHoldSeconds', 'groups.hot.holdSeconds'],
  },
  { name: 'defaultHoldSeconds shortened', change: (p) => void (p.defaultHoldSeconds = 3600), paths: ['defaultHoldSeconds'] },
  { name: 'approver added', change: (p) => void p.approvers.push(principal(APPROVERS[3])), paths: ['approvers[id=dave]'] },
  { name: 'requester added', change: (p) => void p.requesters?.push({ id: 'treasury-desk' }), paths: ['requesters[id=treasury-desk]'] },
  {
    name: 'approver key changed',
    change: (p) => void (p.approvers[0] = { ...p.approvers[0]!, publicKey: OUTSIDERS[0].publicKey }),
    paths: ['approvers[id=alice].publicKey'],
  },
  {
    name: 'approver algorithm and key changed',
    change: (p) => void (p.approvers[0] = { id: 'alice', alg: 'EdDSA', publicKey: OUTSIDERS[1].publicKey }),
    paths: ['approvers[id=alice].alg', 'approvers[id=alice].publicKey'],
  },
  { name: 'admin added', change: (p) => void p.admins.push(principal(NEW_ADMIN)), paths: ['admins[id=admin-9]'] },
  {
    name: 'admin key changed',
    change: (p) => void (p.admins[1] = { ...p.admins[1]!, publicKey: OUTSIDERS[1].publicKey }),
    paths: ['admins[id=admin-2].publicKey'],
  },
  { name: 'deviceId changed', change: (p) => void (p.deviceId = 'dev-pc-2'), paths: ['deviceId'] },
  { name: 'changeDelaySeconds shortened', change: (p) => void (p.changeDelaySeconds = 60), paths: ['changeDelaySeconds'] },
  { name: 'maxApprovalLifetimeSeconds lengthened beyond the 24 h default', change: (p) => void (p.maxApprovalLifetimeSeconds = 7 * 86_400), paths: ['maxApprovalLifetimeSeconds'] },
  { name: 'fee cap removed', change: (p) => void (p.feeCaps = {}), paths: ['feeCaps.31337'] },
  { name: 'fee cap raised', change: (p) => void (p.feeCaps!['31337']!.maxFeeWei *= 2n), paths: ['feeCaps.31337.maxFeeWei'] },
  { name: 'contract selector added', change: (p) => void hot(p).contracts![0]!.selectors.push(new Uint8Array(4).fill(0x33)), paths: [`groups.hot.contracts[31337:0x${'cc'.repeat(20)}:0x33333333]`] },
  {
    name: 'contract moved to another chain',
    change: (p) => void (hot(p).contracts![0]!.chainId = 1n),
    paths: [1, 2]
      .map((k) => `groups.hot.contracts[1:0x${'cc'.repeat(20)}:0x${String(k).repeat(8)}]`)
      .concat([1, 2].map((k) => `groups.hot.contracts[31337:0x${'cc'.repeat(20)}:0x${String(k).repeat(8)}]`)),
  },
  {
    name: 'typed-data domain added',
    change: (p) => void hot(p).typedData!.push({ chainId: 1n, verifyingContract: new Uint8Array(20).fill(0xde) }),
    paths: [`groups.hot.typedData[1:0x${'de'.repeat(20)}]`],
  },
  {
    name: 'Safe added',
    change: (p) => void hot(p).safes!.push({ chainId: 31337n, address: new Uint8Array(20).fill(0x5b) }),
    paths: [`groups.hot.safes[31337:0x${'5b'.repeat(20)}]`],
  },
  {
    name: 'Safe may pay gas refunds',
    change: (p) => void (hot(p).safes![0]!.allowGasRefund = true),
    paths: [`groups.hot.safes[31337:0x${'5a'.repeat(20)}]`, `groups.hot.safes[31337:0x${'5a'.repeat(20)} (gas refunds)]`],
  },
  { name: 'approval cap raised', change: (p) => void (hotRules(p).approvalCap = 10_001n), paths: [`${A}.approvalCap`] },
  { name: 'approval cap dropped for a higher perTxMax default', change: (p) => void (open(p).assets[HOT_ASSET]!.approvalCap = undefined), paths: [`groups.open.assets.${HOT_ASSET}.approvalCap`] },
  { name: 'unlimited allowance allowed', change: (p) => void (open(p).assets[HOT_ASSET]!.allowUnlimitedApproval = true), paths: [`groups.open.assets.${HOT_ASSET}.allowUnlimitedApproval`] },
  { name: 'decimals changed', change: (p) => void (hotRules(p).decimals = 6), paths: [`${A}.decimals`] },
];

describe('classification of each field kind', () => {
  for (const c of STRICTER) {
    test(`stricter: ${c.name}`, () => {
      const to = variant(c.change);
      const diff = diffPolicies(basePolicy(), to);
      assert.deepEqual(
        diff.map((d) => d.path),
        c.paths,
      );
      for (const d of diff) assert.equal(d.stricter, true, `${d.path}: ${d.note}`);
      assert.equal(isStrictlyTighter(basePolicy(), to), true);
    });
  }
  for (const c of LOOSER) {
    test(`not stricter: ${c.name}`, () => {
      const to = variant(c.change);
      const diff = diffPolicies(basePolicy(), to);
      assert.deepEqual(
        diff.map((d) => d.path),
        c.paths,
      );
      assert.ok(
        diff.some((d) => !d.stricter),
        'some change must be flagged not stricter',
      );
      assert.equal(isStrictlyTighter(basePolicy(), to), false);
    });
  }

  test('adminQuorum lowered is not stricter (raised is: see above)', () => {
    const from = variant((p) => void (p.adminQuorum = 2));
    const to = basePolicy();
    assert.deepEqual(diffPolicies(from, to), [{ path: 'adminQuorum', kind: 'changed', before: '2', after: '1', stricter: false, note: 'fewer admins must agree' }]);
    assert.equal(isStrictlyTighter(from, to), false);
    assert.equal(isStrictlyTighter(to, from), true);
  });

  test('maxApprovalLifetimeSeconds written as the 24 h default is the same rule as leaving it out, both ways', () => {
    const explicit = variant((p) => void (p.maxApprovalLifetimeSeconds = 86_400));
    assert.deepEqual(diffPolicies(basePolicy(), explicit), [
      { path: 'maxApprovalLifetimeSeconds', kind: 'changed', before: 'default (86400 s)', after: '86400 s', stricter: true, note: 'the same approval lifetime' },
    ]);
    assert.equal(isStrictlyTighter(basePolicy(), explicit), true);
    assert.equal(isStrictlyTighter(explicit, basePolicy()), true);
  });

  test('every stricter case reversed is not stricter', () => {
    for (const c of STRICTER) {
      if (c.name.includes('covers') || c.name.includes('already tighter')) continue; // those are equivalences in part
      assert.equal(isStrictlyTighter(variant(c.change), basePolicy()), false, c.name);
    }
  });

  test('a redundant window or tier is equivalent both ways', () => {
    // A 60 s window looser than the 3600 s one, and a tier weaker than an existing one, add no rule.
    const to = variant((p) => {
      hotRules(p).windows.push({ seconds: 60, maxAmount: 20_000n, maxCount: 5 });
      hotRules(p).approvalTiers.push({ above: 6_000n, required: 1 });
    });
    assert.equal(isStrictlyTighter(basePolicy(), to), true);
    assert.equal(isStrictlyTighter(to, basePolicy()), true);
  });

  test('a new approver is not stricter even when no tier could use it', () => {
    const to = variant((p) => {
      for (const g of Object.values(p.groups)) for (const a of Object.values(g.assets)) a.approvalTiers = [];
      p.approvers.push(principal(APPROVERS[3]));
    });
    assert.equal(isStrictlyTighter(basePolicy(), to), false);
  });

  test('version and parentHash are not changes; an identical document is trivially stricter', () => {
    const to = variant((p) => {
      p.version = 4;
      p.parentHash = new Uint8Array(32).fill(9);
    });
    assert.deepEqual(diffPolicies(basePolicy(), to), []);
    assert.equal(isStrictlyTighter(basePolicy(), to), true);
    assert.equal(isStrictlyTighter(basePolicy(), basePolicy()), true);
  });
});

describe('diff output', () => {
  test('exact values: amounts as decimal strings, keys as short hex, holds with their default', () => {
    const to = variant((p) => {
      p.version = 4;
      hotRules(p).perTxMax = 123_456_789_012_345_678_901_234_567_890n;
      hotRules(p).windows.splice(0, 1);
      open(p).holdSeconds = 600;
      p.approvers[2] = { ...p.approvers[2]!, publicKey: OUTSIDERS[0].publicKey };
    });
    const hex = (b: Uint8Array) => bytesToHex(b);
    const carolOld = hex(APPROVERS[2].publicKey);
    const carolNew = hex(OUTSIDERS[0].publicKey);
    assert.deepEqual(diffPolicies(basePolicy(), to), [
      {
        path: 'approvers[id=carol].publicKey',
        kind: 'changed',
        before: `${carolOld.slice(0, 12)}…${carolOld.slice(-8)} (65 bytes)`,
        after: `${carolNew.slice(0, 12)}…${carolNew.slice(-8)} (65 bytes)`,
        stricter: false,
        note: 'approver key changed',
      },
      { path: `${A}.perTxMax`, kind: 'changed', before: '10000', after: '123456789012345678901234567890', stricter: false, note: 'higher per-transaction limit' },
      { path: `${A}.windows[seconds=3600]`, kind: 'removed', before: 'at most 20000 in 5 transfers per 3600 s', stricter: false, note: 'rolling limit removed' },
      { path: 'groups.open.holdSeconds', kind: 'changed', before: `default (${DEFAULT_HOLD_SECONDS} s)`, after: '600 s', stricter: false, note: 'new whitelist entries wait less' },
    ]);
  });

  test('stable: the order of map insertion, windows, tiers, chains and principals does not matter', () => {
    const shuffled = variant((p) => {
      p.admins.reverse();
      p.approvers.reverse();
      hot(p).chains.reverse();
      hotRules(p).windows.reverse();
      hotRules(p).approvalTiers.reverse();
      const groups: Record<string, GroupPolicy> = {};
      for (const k of Object.keys(p.groups).reverse()) groups[k] = p.groups[k]!;
      p.groups = groups;
    });
    assert.deepEqual(diffPolicies(basePolicy(), shuffled), []);
    const tighter = variant((p) => {
      hotRules(p).perTxMax = 1n;
      delete p.groups.open;
      p.approvers.splice(0, 1);
    });
    const a = diffPolicies(basePolicy(), tighter);
    assert.deepEqual(diffPolicies(shuffled, tighter), a);
    assert.deepEqual(diffPolicies(basePolicy(), tighter), a, 'same inputs, same diff');
    assert.deepEqual(
      a.map((c) => c.path),
      ['approvers[id=alice]', `${A}.perTxMax`, 'groups.open'],
    );
  });

  test('groups, assets and chains are sorted; duplicate window lengths are paired and labelled', () => {
    const from = variant((p) => {
      hotRules(p).windows.push({ seconds: 3600, maxAmount: 30_000n, maxCount: 9 });
    });
    const to = variant((p) => {
      hotRules(p).windows.push({ seconds: 3600, maxAmount: 25_000n, maxCount: 9 });
      hot(p).chains.push(10n, 5n);
      p.groups.aaa = { chains: [], whitelistRequired: true, holdSeconds: null, assets: {} };
    });
    assert.deepEqual(
      diffPolicies(from, to).map((c) => `${c.kind} ${c.path} ${c.stricter}`),
      ['added groups.aaa false', 'added groups.hot.chains[5] false', 'added groups.hot.chains[10] false', `changed ${A}.windows[seconds=3600 #2].maxAmount true`],
    );
  });

  test('renderDiff names both versions, the classification and every changed path', () => {
    const to = variant((p) => {
      p.version = 4;
      hotRules(p).perTxMax = 1n;
      p.approvers.push(principal(APPROVERS[3]));
      delete hot(p).assets['1:native'];
      hotRules(p).approvalTiers[1]!.above = 4_000n;
    });
    const md = renderDiff(basePolicy(), to);
    assert.match(md, /^## Policy change: version 3 → version 4$/m);
    assert.match(md, /\*\*not stricter\*\*/);
    assert.match(md, /hash `[0-9a-f]{64}`/);
    const diff = diffPolicies(basePolicy(), to);
    assert.equal(diff.length, 5);
    for (const c of diff) assert.ok(md.includes(`\`${c.path}\``), `missing ${c.path} in\n${md}`);
    assert.equal(md.split('\n').filter((l) => l.startsWith('| `')).length, diff.length, 'one table row per change');

    const stricter = renderDiff(
      basePolicy(),
      variant((p) => void (hotRules(p).perTxMax = 1n)),
    );
    assert.match(stricter, /\*\*stricter only\*\*/);
    assert.match(renderDiff(basePolicy(), basePolicy()), /No changes\./);
  });

  test('renderDiff keeps hostile principal ids inside one table cell', () => {
    const to = variant((p) => void p.approvers.push({ ...principal(APPROVERS[3]), id: 'x|`y`\n| z' }));
    const md = renderDiff(basePolicy(), to);
    const rows = md.split('\n').filter((l) => l.startsWith('| ``'));
    assert.equal(rows.length, 1, md);
    assert.ok(rows[0]!.includes('\\|'), 'pipes escaped');
    assert.ok(rows[0]!.includes('\\u000a'), 'line break shown as an escape');
  });
});

// ---------------------------------------------------------------------------------------------
// Property: a stricter policy never allows what a looser one denied.

const CHAINS = [1n, 10n, 31337n] as const;
const ASSETS = ['31337:native', '1:native', '10:native', 'usdc'] as const;
const ADDRESSES = [0xa1, 0xb2, 0xc3].map((b) => new Uint8Array(20).fill(b));
const WINDOW_SECONDS = [60, 600, 3600, 86_400] as const;

const windowArb = fc.record({
  seconds: fc.constantFrom(...WINDOW_SECONDS),
  maxAmount: fc.bigInt(0n, 8_000n),
  maxCount: fc.integer({ min: 0, max: 8 }),
});
const tierArb = fc.record({ above: fc.bigInt(0n, 1_500n), required: fc.integer({ min: 0, max: 3 }) });
const assetArb: fc.Arbitrary<AssetRules> = fc.record(
  {
    perTxMax: fc.bigInt(0n, 2_500n),
    windows: fc.array(windowArb, { maxLength: 2 }),
    approvalTiers: fc.array(tierArb, { maxLength: 3 }),
    approvalCap: fc.bigInt(0n, 2_500n),
    allowUnlimitedApproval: fc.boolean(),
  },
  { requiredKeys: ['perTxMax', 'windows', 'approvalTiers'] },
);
const CONTRACTS = [0xc1, 0xc2].map((b) => new Uint8Array(20).fill(b));
const SELECTORS = [0x01, 0x02, 0x03].map((b) => new Uint8Array(4).fill(b));
const contractArb = fc.record({ chainId: fc.constantFrom(31337n, 1n), address: fc.constantFrom(...CONTRACTS), selectors: fc.subarray(SELECTORS) });
const feeCapArb = fc.record({ maxGasLimit: fc.bigInt(40_000n, 200_000n), maxFeeWei: fc.bigInt(200_000n, 3_000_000n) });
const groupArb: fc.Arbitrary<GroupPolicy> = fc.record({
  chains: fc.oneof({ weight: 3, arbitrary: fc.subarray([1n, 10n]).map((xs) => [...xs, 31337n]) }, { weight: 1, arbitrary: fc.subarray([...CHAINS], { minLength: 1 }) }),
  whitelistRequired: fc.boolean(),
  holdSeconds: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: null }),
  contracts: fc.array(contractArb, { maxLength: 2 }),
  assets: fc.record({ '31337:native': assetArb, '1:native': assetArb, '10:native': assetArb, usdc: assetArb }, { requiredKeys: ['31337:native'] }) as fc.Arbitrary<Record<string, AssetRules>>,
});
const policyArb: fc.Arbitrary<PolicyDocument> = fc
  .record({
    defaultHoldSeconds: fc.integer({ min: 0, max: 200_000 }),
    admins: fc.subarray([...ADMINS], { minLength: 1 }),
    quorum: fc.integer({ min: 1, max: 3 }),
    approvers: fc.subarray([...APPROVERS]),
    groups: fc.record({ hot: groupArb, warm: groupArb }, { requiredKeys: ['hot'] }) as fc.Arbitrary<Record<string, GroupPolicy>>,
    feeCaps: fc.record({ '31337': feeCapArb, '1': feeCapArb }, { requiredKeys: [] }),
  })
  .map((r) => ({
    version: 1,
    parentHash: null,
    deviceId: DEVICE,
    defaultHoldSeconds: r.defaultHoldSeconds,
    admins: r.admins.map(principal),
    adminQuorum: Math.min(r.quorum, r.admins.length),
    approvers: r.approvers.map(principal),
    requesters: [{ id: 'orchestrator' }, { id: 'alice' }, { id: 'bob' }],
    groups: r.groups,
    feeCaps: r.feeCaps as Record<string, FeeCap>,
  }));

// ----- mutations -----

interface Mutation {
  kind: string;
  pick: number;
  n: bigint;
}

const groupsOf = (p: PolicyDocument): GroupPolicy[] =>
  Object.keys(p.groups)
    .sort()
    .map((k) => p.groups[k]!);
const assetsOf = (p: PolicyDocument): AssetRules[] =>
  groupsOf(p).flatMap((g) =>
    Object.keys(g.assets)
      .sort()
      .map((k) => g.assets[k]!),
  );
const nth = <T>(xs: readonly T[], pick: number): T | undefined => (xs.length === 0 ? undefined : xs[pick % xs.length]);
const small = (n: bigint): number => Number(n % 1000n);

const TIGHTEN = [
  'remove-group',
  'remove-chain',
  'remove-asset',
  'require-whitelist',
  'longer-hold',
  'longer-default-hold',
  'shorter-approval-lifetime',
  'lower-per-tx',
  'lower-window-amount',
  'lower-window-count',
  'longer-window',
  'add-window',
  'replace-window',
  'raise-tier',
  'lower-tier-above',
  'add-tier',
  'replace-tier',
  'remove-approver',
  'remove-requester',
  'remove-admin',
  'raise-quorum',
  'add-fee-cap',
  'lower-fee-cap',
  'remove-selector',
  'lower-approval-cap',
  'forbid-unlimited',
] as const;

/** Applies one tightening in place; a mutation with no target is a no-op. */
function tighten(p: PolicyDocument, m: Mutation): void {
  const g = nth(groupsOf(p), m.pick);
  const a = nth(assetsOf(p), m.pick);
  const w = a && nth(a.windows, m.pick >> 3);
  const t = a && nth(a.approvalTiers, m.pick >> 3);
  switch (m.kind) {
    case 'remove-group': {
      const name = nth(Object.keys(p.groups).sort(), m.pick);
      if (name !== undefined) delete p.groups[name];
      break;
    }
    case 'remove-chain':
      if (g && g.chains.length > 0) g.chains.splice(m.pick % g.chains.length, 1);
      break;
    case 'remove-asset': {
      const name = g && nth(Object.keys(g.assets).sort(), m.pick >> 3);
      if (g && name !== undefined) delete g.assets[name];
      break;
    }
    case 'require-whitelist':
      if (g) g.whitelistRequired = true;
      break;
    case 'longer-hold': {
      const name = nth(Object.keys(p.groups).sort(), m.pick);
      if (name !== undefined) p.groups[name]!.holdSeconds = groupHoldSeconds(p, name) + small(m.n);
      break;
    }
    case 'longer-default-hold':
      p.defaultHoldSeconds += small(m.n);
      break;
    case 'shorter-approval-lifetime':
      // 300..1299 s: some of the generated approvals (expiring now + 600) stop counting
      p.maxApprovalLifetimeSeconds = Math.min(maxApprovalLifetimeSeconds(p), 300 + small(m.n));
      break;
    case 'lower-per-tx':
      if (a) a.perTxMax = a.perTxMax > m.n ? a.perTxMax - m.n : 0n;
      break;
    case 'lower-window-amount':
      if (w) w.maxAmount = w.maxAmount > m.n ? w.maxAmount - m.n : 0n;
      break;
    case 'lower-window-count':
      if (w) w.maxCount = Math.max(0, w.maxCount - 1 - (m.pick % 3));
      break;
    case 'longer-window':
      if (w) w.seconds += 1 + small(m.n) * 100;
      break;
    case 'add-window':
      if (a) a.windows.push({ seconds: nth(WINDOW_SECONDS, m.pick)!, maxAmount: m.n * 4n, maxCount: m.pick % 5 });
      break;
    case 'replace-window':
      if (a && w) {
        a.windows.splice(a.windows.indexOf(w), 1);
        a.windows.push({ seconds: w.seconds + small(m.n), maxAmount: w.maxAmount > m.n ? w.maxAmount - m.n : 0n, maxCount: Math.max(0, w.maxCount - (m.pick % 2)) });
      }
      break;
    case 'raise-tier':
      if (t) t.required += 1;
      break;
    case 'lower-tier-above':
      if (t) t.above = t.above > m.n ? t.above - m.n : 0n;
      break;
    case 'add-tier':
      if (a) a.approvalTiers.push({ above: m.n * 2n, required: 1 + (m.pick % 3) });
      break;
    case 'replace-tier':
      if (a && t) {
        a.approvalTiers.splice(a.approvalTiers.indexOf(t), 1);
        a.approvalTiers.push({ above: t.above > m.n ? t.above - m.n : 0n, required: t.required + (m.pick % 2) });
      }
      break;
    case 'remove-approver':
      if (p.approvers.length > 0) p.approvers.splice(m.pick % p.approvers.length, 1);
      break;
    case 'remove-requester':
      if (p.requesters && p.requesters.length > 0) p.requesters.splice(m.pick % p.requesters.length, 1);
      break;
    case 'remove-admin':
      if (p.admins.length > p.adminQuorum) p.admins.splice(m.pick % p.admins.length, 1);
      break;
    case 'raise-quorum':
      if (p.adminQuorum < p.admins.length) p.adminQuorum += 1;
      break;
    case 'add-fee-cap': {
      const chain = nth(['1', '10', '31337'], m.pick)!;
      if (p.feeCaps?.[chain] === undefined) p.feeCaps = { ...p.feeCaps, [chain]: { maxGasLimit: 100_000n, maxFeeWei: m.n * 1_000n } };
      break;
    }
    case 'lower-fee-cap': {
      const cap = nth(Object.values(p.feeCaps ?? {}), m.pick);
      if (cap && m.pick % 2 === 0) cap.maxFeeWei = cap.maxFeeWei > m.n * 1_000n ? cap.maxFeeWei - m.n * 1_000n : 0n;
      else if (cap) cap.maxGasLimit = cap.maxGasLimit > m.n * 100n ? cap.maxGasLimit - m.n * 100n : 0n;
      break;
    }
    case 'remove-selector': {
      const c = g && nth(g.contracts ?? [], m.pick >> 3);
      if (c && c.selectors.length > 0) c.selectors.splice(m.pick % c.selectors.length, 1);
      break;
    }
    case 'lower-approval-cap':
      if (a) a.approvalCap = (a.approvalCap ?? a.perTxMax) > m.n ? (a.approvalCap ?? a.perTxMax) - m.n : 0n;
      break;
    case 'forbid-unlimited':
      if (a) a.allowUnlimitedApproval = false;
      break;
    default:
      throw new Error(`unknown tightening ${m.kind}`);
  }
}

/**
 * Loosenings: each lets the new policy allow (or governance accept) something the old one may not
 * have, so the classifier must never call it stricter. Each returns false when the policy has
 * nothing it applies to.
 */
const LOOSEN: Record<string, (p: PolicyDocument, m: Mutation) => boolean> = {
  'add-group': (p) => {
    p.groups.cold = { chains: [31337n], whitelistRequired: false, holdSeconds: null, assets: { '31337:native': { perTxMax: 1_000n, windows: [], approvalTiers: [] } } };
    return true;
  },
  'add-chain': (p, m) => {
    const g = nth(groupsOf(p), m.pick);
    if (!g) return false;
    g.chains.push(5n);
    return true;
  },
  'add-asset': (p, m) => {
    const g = nth(groupsOf(p), m.pick);
    if (!g) return false;
    g.assets['5:native'] = { perTxMax: 1_000n, windows: [{ seconds: 60, maxAmount: 5_000n, maxCount: 3 }], approvalTiers: [] };
    return true;
  },
  'drop-whitelist': (p, m) => {
    const g = nth(
      groupsOf(p).filter((x) => x.whitelistRequired),
      m.pick,
    );
    if (!g) return false;
    g.whitelistRequired = false;
    return true;
  },
  'shorter-hold': (p, m) => {
    const name = nth(
      Object.keys(p.groups).filter((k) => groupHoldSeconds(p, k) > 0),
      m.pick,
    );
    if (name === undefined) return false;
    const hold = groupHoldSeconds(p, name);
    p.groups[name]!.holdSeconds = hold - 1 - (small(m.n) % hold);
    return true;
  },
  'shorter-default-hold': (p, m) => {
    if (p.defaultHoldSeconds === 0) return false;
    p.defaultHoldSeconds -= 1 + (small(m.n) % p.defaultHoldSeconds);
    return true;
  },
  'raise-per-tx': (p, m) => {
    const a = nth(assetsOf(p), m.pick);
    if (!a) return false;
    a.perTxMax += m.n;
    return true;
  },
  'raise-window-amounts': (p, m) => {
    const a = nth(
      assetsOf(p).filter((x) => x.windows.length > 0),
      m.pick,
    );
    if (!a) return false;
    for (const w of a.windows) w.maxAmount += m.n;
    return true;
  },
  'raise-window-counts': (p, m) => {
    const a = nth(
      assetsOf(p).filter((x) => x.windows.length > 0),
      m.pick,
    );
    if (!a) return false;
    for (const w of a.windows) w.maxCount += 1;
    return true;
  },
  'shorten-windows': (p, m) => {
    const a = nth(
      assetsOf(p).filter((x) => x.windows.some((w) => w.seconds >= 2)),
      m.pick,
    );
    if (!a) return false;
    for (const w of a.windows) w.seconds = Math.max(1, Math.floor(w.seconds / 2));
    return true;
  },
  'remove-windows': (p, m) => {
    const a = nth(
      assetsOf(p).filter((x) => x.windows.length > 0),
      m.pick,
    );
    if (!a) return false;
    a.windows = [];
    return true;
  },
  'lower-tiers': (p, m) => {
    const a = nth(
      assetsOf(p).filter((x) => x.approvalTiers.some((t) => t.required > 0)),
      m.pick,
    );
    if (!a) return false;
    for (const t of a.approvalTiers) t.required = Math.max(0, t.required - 1);
    return true;
  },
  'raise-tier-thresholds': (p, m) => {
    const a = nth(
      assetsOf(p).filter((x) => x.approvalTiers.some((t) => t.required > 0)),
      m.pick,
    );
    if (!a) return false;
    for (const t of a.approvalTiers) t.above += m.n;
    return true;
  },
  'remove-tiers': (p, m) => {
    const a = nth(
      assetsOf(p).filter((x) => x.approvalTiers.some((t) => t.required > 0)),
      m.pick,
    );
    if (!a) return false;
    a.approvalTiers = a.approvalTiers.filter((t) => t.required === 0);
    return true;
  },
  'add-requester': (p, m) => {
    const id = `req-${m.pick}`;
    if ((p.requesters ?? []).some((r) => r.id === id)) return false;
    (p.requesters ??= []).push({ id });
    return true;
  },
  'add-approver': (p, m) => {
    p.approvers.push(principal(nth(OUTSIDERS, m.pick)!));
    return true;
  },
  'rekey-approver': (p, m) => {
    const x = nth(p.approvers, m.pick);
    if (!x) return false;
    const other = OUTSIDERS.find((o) => o.alg === x.alg)!;
    x.publicKey = other.publicKey;
    return true;
  },
  'realg-approver': (p, m) => {
    const x = nth(p.approvers, m.pick);
    if (!x) return false;
    const other = OUTSIDERS.find((o) => o.alg !== x.alg)!;
    x.alg = other.alg;
    x.publicKey = other.publicKey;
    return true;
  },
  'add-admin': (p) => {
    p.admins.push(principal(NEW_ADMIN));
    return true;
  },
  'rekey-admin': (p, m) => {
    const x = nth(p.admins, m.pick);
    if (!x) return false;
    x.publicKey = OUTSIDERS.find((o) => o.alg === x.alg)!.publicKey;
    return true;
  },
  'lower-quorum': (p) => {
    if (p.adminQuorum <= 1) return false;
    p.adminQuorum -= 1;
    return true;
  },
  'change-device': (p) => {
    p.deviceId = 'dev-pc-other';
    return true;
  },
  'longer-approval-lifetime': (p, m) => {
    p.maxApprovalLifetimeSeconds = maxApprovalLifetimeSeconds(p) + 1 + small(m.n);
    return true;
  },
  'shorter-change-delay': (p, m) => {
    p.changeDelaySeconds = small(m.n);
    return true;
  },
  'remove-fee-cap': (p, m) => {
    const chain = nth(Object.keys(p.feeCaps ?? {}), m.pick);
    if (chain === undefined) return false;
    delete p.feeCaps![chain];
    return true;
  },
  'raise-fee-cap': (p, m) => {
    const cap = nth(Object.values(p.feeCaps ?? {}), m.pick);
    if (!cap) return false;
    if (m.pick % 2 === 0) cap.maxFeeWei += m.n;
    else cap.maxGasLimit += m.n;
    return true;
  },
  'add-selector': (p, m) => {
    const g = nth(groupsOf(p), m.pick);
    if (!g) return false;
    g.contracts = [...(g.contracts ?? []), { chainId: 31337n, address: CONTRACTS[0]!, selectors: [new Uint8Array(4).fill(0x0f)] }];
    return true;
  },
  'raise-approval-cap': (p, m) => {
    const a = nth(assetsOf(p), m.pick);
    if (!a) return false;
    a.approvalCap = (a.approvalCap ?? a.perTxMax) + m.n;
    return true;
  },
  'allow-unlimited': (p, m) => {
    const a = nth(
      assetsOf(p).filter((x) => x.allowUnlimitedApproval !== true),
      m.pick,
    );
    if (!a) return false;
    a.allowUnlimitedApproval = true;
    return true;
  },
};
const LOOSEN_KINDS = Object.keys(LOOSEN);

/** Changes of no fixed direction, for the mixed property: arbitrary windows, tiers and limits. */
function scramble(p: PolicyDocument, m: Mutation): void {
  const a = nth(assetsOf(p), m.pick);
  const w = a && nth(a.windows, m.pick >> 3);
  const t = a && nth(a.approvalTiers, m.pick >> 3);
  switch (m.pick % 6) {
    case 0:
      if (w) w.seconds = nth(WINDOW_SECONDS, m.pick >> 5)!;
      break;
    case 1:
      if (w) w.maxAmount = m.n * 5n;
      break;
    case 2:
      if (t) t.above = m.n * 2n;
      break;
    case 3:
      if (t) t.required = (m.pick >> 5) % 4;
      break;
    case 4:
      if (a && w) a.windows.splice(a.windows.indexOf(w), 1);
      break;
    default:
      if (a && t) a.approvalTiers.splice(a.approvalTiers.indexOf(t), 1);
  }
}

const mutationArb = (kinds: readonly string[]): fc.Arbitrary<Mutation> => fc.record({ kind: fc.constantFrom(...kinds), pick: fc.nat({ max: 1 << 20 }), n: fc.bigInt(1n, 1_500n) });

function applyTightenings(p: PolicyDocument, ms: readonly Mutation[]): PolicyDocument {
  const t = structuredClone(p);
  for (const m of ms) tighten(t, m);
  return t;
}

// ----- scenarios: intent, state view, approvals, time -----

type ApprovalMode = 'valid' | 'expired' | 'wrong-device' | 'wrong-intent' | 'garbage';

interface Scenario {
  keyGroup: string;
  keyId: string;
  chainId: bigint;
  assetPick: number;
  toPick: number;
  calldata: boolean;
  amount: bigint;
  nonce: bigint;
  requester: string;
  now: number;
  recipientListed: number | null;
  /** When set, the intent names a group, chain and asset the original policy has (picked by this number). */
  aim: number | null;
  whitelist: { group: string; chainId: bigint; addr: number; activeOffset: number }[];
  spends: { keyId: string; asset: string; ago: number; amount: bigint }[];
  approvals: { signer: number; mode: ApprovalMode }[];
  /** 0–5 a native transfer, 6 an ERC-20 allowance, 7 another contract call. */
  kindPick: number;
  unlimited: boolean;
  contractPick: number;
  gasLimit: bigint;
  maxFee: bigint;
}

const ALL_SIGNERS: readonly Signer[] = [...APPROVERS, ...OUTSIDERS];
const KEY_IDS = ['k1', 'k2'] as const;

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  keyGroup: fc.constantFrom('hot', 'hot', 'hot', 'warm', 'warm', 'cold'),
  keyId: fc.constantFrom(...KEY_IDS),
  chainId: fc.constantFrom(31337n, 31337n, 31337n, ...CHAINS, 5n),
  assetPick: fc.nat({ max: 7 }),
  toPick: fc.nat({ max: 40 }),
  calldata: fc.nat({ max: 15 }).map((n) => n === 0),
  amount: fc.oneof({ weight: 4, arbitrary: fc.bigInt(0n, 1_600n) }, { weight: 1, arbitrary: fc.bigInt(0n, 5_000n) }),
  nonce: fc.bigInt(0n, 3n),
  requester: fc.constantFrom('orchestrator', 'orchestrator', 'alice', 'bob'),
  now: fc.integer({ min: NOW, max: NOW + 1_000 }),
  /** Put the recipient itself on the whitelist of the key group, active from now + this offset. */
  recipientListed: fc.option(fc.integer({ min: -2_000, max: 300 }), { nil: null, freq: 3 }),
  aim: fc.option(fc.nat({ max: 1 << 10 }), { nil: null, freq: 4 }),
  whitelist: fc.array(
    fc.record({
      group: fc.constantFrom('hot', 'warm', 'cold'),
      chainId: fc.constantFrom(...CHAINS, 5n),
      addr: fc.nat({ max: 2 }),
      activeOffset: fc.integer({ min: -2_000, max: 300 }),
    }),
    { maxLength: 8 },
  ),
  spends: fc.array(fc.record({ keyId: fc.constantFrom(...KEY_IDS), asset: fc.constantFrom(...ASSETS), ago: fc.nat({ max: 100_000 }), amount: fc.bigInt(0n, 1_500n) }), { maxLength: 6 }),
  kindPick: fc.nat({ max: 7 }),
  unlimited: fc.boolean(),
  contractPick: fc.nat({ max: 5 }),
  gasLimit: fc.oneof({ weight: 4, arbitrary: fc.bigInt(21_000n, 60_000n) }, { weight: 1, arbitrary: fc.bigInt(21_000n, 250_000n) }),
  maxFee: fc.oneof({ weight: 4, arbitrary: fc.bigInt(0n, 500_000n) }, { weight: 1, arbitrary: fc.bigInt(0n, 3_500_000n) }),
  approvals: fc.array(
    fc.record({
      signer: fc.nat({ max: ALL_SIGNERS.length - 1 }),
      mode: fc.constantFrom<ApprovalMode>('valid', 'valid', 'valid', 'expired', 'wrong-device', 'wrong-intent', 'garbage'),
    }),
    { maxLength: 4 },
  ),
});

interface ListedAddress {
  group: string;
  chainId: bigint;
  address: Uint8Array;
  activeAt: number;
}
interface Spend {
  keyId: string;
  asset: string;
  at: number;
  amount: bigint;
}

/** A StateView over generated data: whitelist entries, and past spends summed per window (so usage only grows as a window lengthens, as in the device). */
class GeneratedView implements StateView {
  private readonly entries = new Map<string, number>();
  constructor(
    listed: readonly ListedAddress[],
    private readonly spends: readonly Spend[],
  ) {
    for (const e of listed) this.entries.set(GeneratedView.key(e.group, e.chainId, e.address), e.activeAt);
  }
  static key(group: string, chainId: bigint, address: Uint8Array): string {
    return `${group}|${chainId}|${bytesToHex(address)}`;
  }
  whitelistEntry(group: string, chainId: bigint, address: Uint8Array): WhitelistEntryView | undefined {
    const activeAt = this.entries.get(GeneratedView.key(group, chainId, address));
    return activeAt === undefined ? undefined : { activeAt };
  }
  windowUsage(keyId: string, asset: string, since: number): WindowUsage {
    let amount = 0n;
    let count = 0;
    for (const s of this.spends) {
      if (s.keyId === keyId && s.asset === asset && s.at >= since) {
        amount += s.amount;
        count += 1;
      }
    }
    return { amount, count };
  }
}

interface Built {
  view: StateView;
  intent: TransferIntent;
  keyGroup: string;
  requester: string;
  approvals: Approval[];
  now: number;
}

/** Builds the scenario's inputs; an aimed scenario names a group, chain and asset of `policy`. */
function build(s: Scenario, policy: PolicyDocument): Built {
  const deviceId = policy.deviceId;
  let keyGroup = s.keyGroup;
  let chainId = s.chainId;
  let asset = s.assetPick < 4 ? nativeAssetId(chainId) : ASSETS[s.assetPick - 4]!;
  const aimed = s.aim === null ? undefined : nth(Object.keys(policy.groups).sort(), s.aim);
  if (s.aim !== null && aimed !== undefined) {
    const g = policy.groups[aimed]!;
    keyGroup = aimed;
    chainId = nth(g.chains, s.aim >> 2) ?? chainId;
    asset = nth(Object.keys(g.assets).sort(), s.aim >> 4) ?? asset;
  }
  const base: TransferIntent = {
    kind: 'evm-transfer',
    keyId: s.keyId,
    chainId,
    nonce: s.nonce,
    asset,
    to: s.toPick === 0 ? null : ADDRESSES[s.toPick % 3]!,
    amount: s.amount,
    data: new Uint8Array(s.calldata ? 4 : 0),
    maxFee: s.maxFee,
    gasLimit: s.gasLimit,
  };
  const contract = CONTRACTS[s.contractPick % 2]!;
  const intent: TransferIntent =
    s.kindPick === 6
      ? { ...base, kind: 'erc20-approve', contract, nativeValue: s.calldata ? 1n : 0n, amount: s.unlimited ? (1n << 256n) - 1n : s.amount, data: new Uint8Array(68) }
      : s.kindPick === 7
        ? { ...base, kind: 'contract-call', to: contract, contract, selector: SELECTORS[s.contractPick % 3]!, data: new Uint8Array(36), asset: nativeAssetId(chainId) }
        : base;
  const digest = intentDigest(intent);
  const approvals = s.approvals.map(({ signer: i, mode }): Approval => {
    const signer = ALL_SIGNERS[i]!;
    const expiresAt = mode === 'expired' ? s.now - (i % 2) : s.now + 600;
    if (mode === 'garbage') return { approverId: signer.id, expiresAt, signature: new Uint8Array(64).fill(i + 1) };
    const statement = encodeApprovalStatement({
      deviceId: mode === 'wrong-device' ? `${deviceId}-x` : deviceId,
      intentDigest: mode === 'wrong-intent' ? new Uint8Array(32).fill(0xee) : digest,
      approverId: signer.id,
      expiresAt,
    });
    return { approverId: signer.id, expiresAt, signature: signer.sign(statement) };
  });
  const spends = s.spends.map((x) => ({ keyId: x.keyId, asset: x.asset === '31337:native' ? asset : x.asset, at: s.now - x.ago, amount: x.amount }));
  const listed: ListedAddress[] = s.whitelist.map((e) => ({ group: e.group, chainId: e.chainId, address: ADDRESSES[e.addr]!, activeAt: s.now + e.activeOffset }));
  if (s.recipientListed !== null && intent.to !== null) listed.push({ group: keyGroup, chainId, address: intent.to, activeAt: s.now + s.recipientListed });
  return { view: new GeneratedView(listed, spends), intent, keyGroup, requester: s.requester, approvals, now: s.now };
}

const RANK: Record<Outcome, number> = { allow: 0, needs_approval: 1, deny: 2 };

interface Tally {
  checked: number;
  allowedByTighter: number;
  allowedByOriginal: number;
  tightened: number;
}

/** Evaluates both policies on each scenario; the tighter one must never be more permissive. */
function assertNeverLooser(loose: PolicyDocument, tight: PolicyDocument, scenarios: readonly Scenario[], tally: Tally): void {
  for (const s of scenarios) {
    const b = build(s, loose);
    const req = { intent: b.intent, keyGroup: b.keyGroup, requester: b.requester };
    const before = evaluate(loose, b.view, req, b.approvals, b.now);
    const after = evaluate(tight, b.view, req, b.approvals, b.now);
    tally.checked++;
    if (after.outcome === 'allow') tally.allowedByTighter++;
    if (before.outcome === 'allow') tally.allowedByOriginal++;
    if (after.outcome === 'allow' && before.outcome !== 'allow') {
      assert.fail(`the stricter policy allowed what the original ${before.outcome === 'deny' ? 'denied' : 'held for approval'}: ${JSON.stringify(diffPolicies(loose, tight))}`);
    }
    assert.ok(RANK[after.outcome] >= RANK[before.outcome], `outcome moved from ${before.outcome} to ${after.outcome} under ${JSON.stringify(diffPolicies(loose, tight))}`);
  }
}

/** The generated documents are valid policies (parsePolicy accepts them), so the property is about real inputs. */
function assertParses(p: PolicyDocument): void {
  const fixed = structuredClone(p);
  // parsePolicy bounds a tier's `required` by the number of approvers; such tiers are unsatisfiable, not invalid, for evaluate.
  for (const a of assetsOf(fixed)) for (const t of a.approvalTiers) t.required = Math.min(t.required, fixed.approvers.length);
  parsePolicy(policyToCbor(fixed));
}

describe('property: a stricter policy never allows what a looser one denied', () => {
  test('random tightenings are recognised as stricter and never allow more', () => {
    const tally: Tally = { checked: 0, allowedByTighter: 0, allowedByOriginal: 0, tightened: 0 };
    fc.assert(
      fc.property(policyArb, fc.array(mutationArb(TIGHTEN), { minLength: 1, maxLength: 4 }), fc.array(scenarioArb, { minLength: 6, maxLength: 6 }), (p, ms, scenarios) => {
        assertParses(p);
        const t = applyTightenings(p, ms);
        const diff = diffPolicies(p, t);
        if (diff.length > 0) tally.tightened++;
        assert.equal(isStrictlyTighter(p, t), true, `not recognised as stricter: ${ms.map((m) => m.kind).join(', ')}\n${JSON.stringify(diff.filter((c) => !c.stricter))}`);
        assertNeverLooser(p, t, scenarios, tally);
      }),
      { seed: 20_240_605, numRuns: 200 },
    );
    // Not vacuous: most runs changed the policy, and both policies allowed some requests.
    assert.ok(tally.tightened >= 150, `only ${tally.tightened} runs changed the policy`);
    assert.ok(tally.allowedByTighter >= 100, `the tighter policy allowed only ${tally.allowedByTighter} of ${tally.checked}`);
    assert.ok(tally.allowedByOriginal > tally.allowedByTighter, 'tightening never denied anything the original allowed');
  });

  test('random loosenings are never classified as stricter', () => {
    let applied = 0;
    fc.assert(
      fc.property(policyArb, mutationArb(LOOSEN_KINDS), (p, m) => {
        const l = structuredClone(p);
        if (!LOOSEN[m.kind]!(l, m)) return;
        applied++;
        assert.equal(isStrictlyTighter(p, l), false, `${m.kind} classified as stricter`);
        assert.ok(diffPolicies(p, l).some((c) => !c.stricter));
      }),
      { seed: 31_337, numRuns: 600 },
    );
    assert.ok(applied >= 400, `only ${applied} loosenings applied`);
  });

  test('a loosening on top of tightenings elsewhere is still not stricter', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(mutationArb(['lower-per-tx', 'raise-tier', 'add-window', 'remove-approver']), { maxLength: 3 }),
        mutationArb(['add-group', 'add-chain', 'add-admin', 'change-device', 'add-approver']),
        (p, ms, m) => {
          const t = applyTightenings(p, ms);
          if (!LOOSEN[m.kind]!(t, m)) return;
          assert.equal(isStrictlyTighter(p, t), false, m.kind);
        },
      ),
      { seed: 777, numRuns: 200 },
    );
  });

  test('mixed random changes: whenever the result is classified stricter, it never allows more', () => {
    const tally: Tally = { checked: 0, allowedByTighter: 0, allowedByOriginal: 0, tightened: 0 };
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.oneof(mutationArb(TIGHTEN), mutationArb(['scramble']), mutationArb(LOOSEN_KINDS)), { minLength: 1, maxLength: 3 }),
        fc.array(scenarioArb, { minLength: 4, maxLength: 4 }),
        (p, ms, scenarios) => {
          const t = structuredClone(p);
          for (const m of ms) {
            if (m.kind === 'scramble') scramble(t, m);
            else if (m.kind in LOOSEN) LOOSEN[m.kind]!(t, m);
            else tighten(t, m);
          }
          if (!isStrictlyTighter(p, t)) return;
          tally.tightened++;
          assertNeverLooser(p, t, scenarios, tally);
        },
      ),
      { seed: 4_242, numRuns: 250 },
    );
    assert.ok(tally.tightened >= 50, `only ${tally.tightened} mixed changes were classified stricter`);
  });

  test('a policy compared with itself: no changes, stricter, and every diff is reproducible', () => {
    fc.assert(
      fc.property(policyArb, policyArb, (p, q) => {
        assert.deepEqual(diffPolicies(p, structuredClone(p)), []);
        assert.equal(isStrictlyTighter(p, p), true);
        const d = diffPolicies(p, q);
        assert.deepEqual(diffPolicies(structuredClone(p), structuredClone(q)), d);
        assert.equal(
          isStrictlyTighter(p, q),
          d.every((c) => c.stricter),
        );
        assert.equal(new Set(d.map((c) => c.path)).size, d.length, 'paths are unique');
        const md = renderDiff(p, q);
        for (const c of d) assert.ok(md.includes(`\`${c.path}\``), c.path);
      }),
      { seed: 99, numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Focused properties: the two rules whose classification depends on the whole new document
// (rolling windows, approval tiers), over small domains so that coverage cases are frequent.

/** One group, one asset, no whitelist: only the asset's windows and tiers can deny. */
function focusedPolicy(rules: AssetRules): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: DEVICE,
    defaultHoldSeconds: 0,
    admins: [principal(ADMINS[0])],
    adminQuorum: 1,
    approvers: APPROVERS.map(principal),
    requesters: [{ id: 'orchestrator' }],
    groups: { hot: { chains: [31337n], whitelistRequired: false, holdSeconds: null, assets: { [HOT_ASSET]: rules } } },
  };
}

function focusedIntent(amount: bigint): TransferIntent {
  return { kind: 'evm-transfer', keyId: 'k1', chainId: 31337n, nonce: 0n, asset: HOT_ASSET, to: ADDRESSES[0]!, amount, data: new Uint8Array(0), maxFee: 0n };
}

const smallWindowArb = fc.record({
  seconds: fc.constantFrom(60, 3600, 86_400),
  maxAmount: fc.integer({ min: 0, max: 8 }).map((k) => BigInt(k) * 100n),
  maxCount: fc.integer({ min: 0, max: 4 }),
});
/** A new window list derived from an old one by small edits, so that "stricter" is often true and often just missed. */
const editedWindowsArb = (from: readonly { seconds: number; maxAmount: bigint; maxCount: number }[]) =>
  fc
    .tuple(
      fc.array(fc.record({ keep: fc.nat({ max: 5 }), seconds: fc.constantFrom(60, 3600, 86_400), dAmount: fc.integer({ min: -2, max: 1 }), dCount: fc.integer({ min: -1, max: 1 }) }), {
        minLength: from.length,
        maxLength: from.length,
      }),
      fc.array(smallWindowArb, { maxLength: 2 }),
    )
    .map(([edits, extra]) => [
      ...from.flatMap((w, i) => {
        const e = edits[i]!;
        if (e.keep === 0) return [];
        if (e.keep === 1) return [{ ...w, seconds: e.seconds }];
        if (e.keep === 2) return [{ ...w, seconds: e.seconds, maxCount: Math.max(0, w.maxCount + e.dCount) }];
        const maxAmount = w.maxAmount + BigInt(e.dAmount) * 100n;
        return [{ seconds: w.seconds, maxAmount: maxAmount < 0n ? 0n : maxAmount, maxCount: Math.max(0, w.maxCount + (e.keep === 3 ? e.dCount : 0)) }];
      }),
      ...extra,
    ]);

describe('focused properties: windows and tiers', () => {
  test('rolling windows: when the new windows are classified stricter, no usage history lets them allow more', () => {
    let stricter = 0;
    let notStricter = 0;
    let allowed = 0;
    const spendArb = fc.record({ ago: fc.constantFrom(0, 30, 59, 60, 61, 1_800, 3_600, 3_601, 50_000, 86_400, 86_401), amount: fc.integer({ min: 0, max: 4 }).map((k) => BigInt(k) * 100n) });
    fc.assert(
      fc.property(
        fc.array(smallWindowArb, { minLength: 1, maxLength: 3 }).chain((from) => fc.tuple(fc.constant(from), editedWindowsArb(from))),
        fc.array(fc.tuple(fc.array(spendArb, { maxLength: 5 }), fc.integer({ min: 0, max: 5 })), { minLength: 8, maxLength: 8 }),
        ([fromWindows, toWindows], histories) => {
          const from = focusedPolicy({ perTxMax: 10_000n, windows: fromWindows, approvalTiers: [] });
          const to = focusedPolicy({ perTxMax: 10_000n, windows: toWindows, approvalTiers: [] });
          if (!isStrictlyTighter(from, to)) {
            notStricter++;
            return;
          }
          stricter++;
          for (const [spends, k] of histories) {
            const view = new GeneratedView(
              [],
              spends.map((x) => ({ keyId: 'k1', asset: HOT_ASSET, at: NOW - x.ago, amount: x.amount })),
            );
            const req = { intent: focusedIntent(BigInt(k) * 100n), keyGroup: 'hot', requester: 'orchestrator' };
            const after = evaluate(to, view, req, [], NOW).outcome;
            if (after === 'allow') {
              allowed++;
              assert.equal(evaluate(from, view, req, [], NOW).outcome, 'allow', JSON.stringify(diffPolicies(from, to)));
            }
          }
        },
      ),
      { seed: 8_640, numRuns: 1_500 },
    );
    assert.ok(stricter >= 150 && notStricter >= 150, `stricter ${stricter}, not stricter ${notStricter}`);
    assert.ok(allowed >= 300, `only ${allowed} allows under the stricter windows`);
  });

  test('approval tiers: when the new tiers are classified stricter, no amount needs fewer valid approvals', () => {
    // Real approvals, signed once per amount by every approver.
    // Each hundred, one above it and halfway: tier thresholds are multiples of 100, moved by 100 or by 1.
    const amounts = Array.from({ length: 12 }, (_, i) => [BigInt(i) * 100n, BigInt(i) * 100n + 1n, BigInt(i) * 100n + 2n, BigInt(i) * 100n + 50n]).flat();
    const signed = new Map<bigint, Approval[]>();
    for (const a of amounts) {
      const digest = intentDigest(focusedIntent(a));
      signed.set(
        a,
        APPROVERS.map((s) => {
          const expiresAt = NOW + 600;
          return { approverId: s.id, expiresAt, signature: s.sign(encodeApprovalStatement({ deviceId: DEVICE, intentDigest: digest, approverId: s.id, expiresAt })) };
        }),
      );
    }
    const tierArb2 = fc.record({ above: fc.integer({ min: 0, max: 10 }).map((k) => BigInt(k) * 100n), required: fc.integer({ min: 0, max: 4 }) });
    const editedTiersArb = (from: readonly ApprovalTierLike[]) =>
      fc
        .tuple(
          fc.array(fc.record({ keep: fc.nat({ max: 4 }), dAbove: fc.integer({ min: -2, max: 2 }), fine: fc.boolean(), dRequired: fc.integer({ min: -1, max: 1 }) }), {
            minLength: from.length,
            maxLength: from.length,
          }),
          fc.array(tierArb2, { maxLength: 1 }),
        )
        .map(([edits, extra]) => [
          ...from.flatMap((t, i) => {
            const e = edits[i]!;
            if (e.keep === 0) return [];
            const above = t.above + BigInt(e.dAbove) * (e.fine ? 1n : 100n);
            return [{ above: above < 0n ? 0n : above, required: Math.max(0, t.required + e.dRequired) }];
          }),
          ...extra,
        ]);
    let stricter = 0;
    let notStricter = 0;
    let allowed = 0;
    fc.assert(
      fc.property(
        fc.array(tierArb2, { minLength: 1, maxLength: 3 }).chain((from) => fc.tuple(fc.constant(from), editedTiersArb(from))),
        fc.array(fc.tuple(fc.nat({ max: amounts.length - 1 }), fc.subarray([0, 1, 2, 3])), { minLength: 6, maxLength: 6 }),
        ([fromTiers, toTiers], cases) => {
          const from = focusedPolicy({ perTxMax: 10_000n, windows: [], approvalTiers: fromTiers });
          const to = focusedPolicy({ perTxMax: 10_000n, windows: [], approvalTiers: toTiers });
          if (!isStrictlyTighter(from, to)) {
            notStricter++;
            return;
          }
          stricter++;
          const view = new GeneratedView([], []);
          for (const [ai, who] of cases) {
            const amount = amounts[ai]!;
            const approvals = who.map((i) => signed.get(amount)![i]!);
            const req = { intent: focusedIntent(amount), keyGroup: 'hot', requester: 'orchestrator' };
            if (evaluate(to, view, req, approvals, NOW).outcome === 'allow') {
              allowed++;
              assert.equal(evaluate(from, view, req, approvals, NOW).outcome, 'allow', JSON.stringify(diffPolicies(from, to)));
            }
          }
        },
      ),
      { seed: 1_000, numRuns: 800 },
    );
    assert.ok(stricter >= 150 && notStricter >= 150, `stricter ${stricter}, not stricter ${notStricter}`);
    assert.ok(allowed >= 300, `only ${allowed} allows under the stricter tiers`);
  });
});

interface ApprovalTierLike {
  above: bigint;
  required: number;
}
