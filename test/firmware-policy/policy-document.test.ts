// The policy document (firmware-policy/policy-document.ts): canonical CBOR round trip, the hash that
// names a policy, and validation of a decoded document (every refusal is ApplianceError 'bad_request').
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeCanonical, encodeCanonical, type CborMap, type CborValue } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import {
  DEFAULT_HOLD_SECONDS,
  encodePolicy,
  groupHoldSeconds,
  maxApprovalLifetimeSeconds,
  nativeAssetId,
  parsePolicy,
  policyHash,
  policyToCbor,
  type AssetRules,
  type PolicyDocument,
  type Principal,
} from '../../firmware-policy/policy-document.js';

const MAX_UINT256 = (1n << 256n) - 1n;
const hex = bytesToHex;

const p256Sk = (b: number) => p256.keygen(new Uint8Array(48).fill(b)).secretKey;
const ES_KEYS = [1, 2, 3].map((b) => p256.getPublicKey(p256Sk(b), false));
const ED_KEYS = [4, 5, 6].map((b) => ed25519.keygen(new Uint8Array(32).fill(b)).publicKey);

const es = (id: string, k: number): Principal => ({ id, alg: 'ES256', publicKey: ES_KEYS[k]! });
const ed = (id: string, k: number): Principal => ({ id, alg: 'EdDSA', publicKey: ED_KEYS[k]! });

function basePolicy(): PolicyDocument {
  return {
    version: 3,
    parentHash: new Uint8Array(32).fill(0x11),
    deviceId: 'dev-policy-1',
    defaultHoldSeconds: DEFAULT_HOLD_SECONDS,
    admins: [es('admin-a', 0), ed('admin-b', 0)],
    adminQuorum: 2,
    approvers: [es('alice', 1), ed('bob', 1), es('carol', 2), ed('dave', 2)],
    groups: {
      hot: {
        chains: [31337n, 1n],
        whitelistRequired: true,
        holdSeconds: 3600,
        assets: {
          '31337:native': {
            perTxMax: 10n ** 18n,
            windows: [
              { seconds: 3600, maxAmount: 5n * 10n ** 18n, maxCount: 10 },
              { seconds: 86_400, maxAmount: MAX_UINT256, maxCount: 100 },
            ],
            approvalTiers: [
              { above: 10n ** 17n, required: 1 },
              { above: 5n * 10n ** 17n, required: 3 },
            ],
          },
          '1:native': { perTxMax: 1n << 70n, windows: [], approvalTiers: [] },
        },
      },
      cold: { chains: [(1n << 64n) - 1n], whitelistRequired: false, holdSeconds: null, assets: {} },
    },
  };
}

function asAssetRules(p: PolicyDocument, g: string, a: string): AssetRules {
  const r = p.groups[g]?.assets[a];
  if (!r) throw new Error(`fixture: no ${g}/${a}`);
  return r;
}

/** The base policy as a decoded CBOR map (what the appliance sees), fresh each call. */
function rawDoc(): CborMap {
  return decodeCanonical(encodePolicy(basePolicy())) as CborMap;
}

type Path = readonly (string | number)[];

/** Sets (or with `undefined`, deletes) the value at `path` inside a decoded document. */
function setIn(root: CborValue, path: Path, value: CborValue | undefined): void {
  let cur = root as unknown as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (next === null || typeof next !== 'object') throw new Error(`fixture: no container at ${String(k)}`);
    cur = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

function withChange(path: Path, value: CborValue | undefined): CborMap {
  const d = rawDoc();
  setIn(d, path, value);
  return d;
}

function assertBadRequest(doc: CborValue, what: string): void {
  assert.throws(
    () => parsePolicy(doc),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
    `expected ApplianceError('bad_request') for ${what}`,
  );
}

const HOT = ['groups', 'hot'] as const;
const ASSET = [...HOT, 'assets', '31337:native'] as const;

// ---------------------------------------------------------------------------------------------

describe('canonical form and hash', () => {
  test('round trip: decodeCanonical(encodePolicy(p)) parses back to an equal document with the same hash', () => {
    const p = basePolicy();
    const bytes = encodePolicy(p);
    const back = parsePolicy(decodeCanonical(bytes));
    assert.deepEqual(back, p);
    assert.equal(hex(policyHash(back)), hex(policyHash(p)));
    assert.equal(hex(encodePolicy(back)), hex(bytes), 'the re-encoding is byte-identical');
  });

  test('policyHash is SHA-256 of encodePolicy, which is the canonical encoding of policyToCbor', () => {
    const p = basePolicy();
    const bytes = encodePolicy(p);
    assert.equal(hex(bytes), hex(encodeCanonical(policyToCbor(p))));
    assert.equal(hex(policyHash(p)), hex(sha256(bytes)));
    assert.equal(policyHash(p).length, 32);
  });

  test('policyToCbor names exactly the documented fields, amounts as integers', () => {
    const m = policyToCbor(basePolicy());
    assert.deepEqual(Object.keys(m).sort(), ['adminQuorum', 'admins', 'approvers', 'defaultHoldSeconds', 'deviceId', 'groups', 'parentHash', 'version']);
    const asset = ((m.groups as CborMap).hot as CborMap).assets as CborMap;
    const a = asset['31337:native'] as CborMap;
    assert.equal(a.perTxMax, 10n ** 18n);
    assert.equal(typeof a.perTxMax, 'bigint');
  });

  test('a compressed ES256 key parses to the 65-byte form, and the document then round-trips stably', () => {
    const d = rawDoc();
    setIn(d, ['approvers', 0, 'publicKey'], p256.getPublicKey(p256Sk(2), true));
    const p = parsePolicy(d);
    assert.equal(p.approvers[0]?.publicKey.length, 65);
    assert.deepEqual(p.approvers[0]?.publicKey, ES_KEYS[1]);
    assert.deepEqual(parsePolicy(decodeCanonical(encodePolicy(p))), p);
  });

  test('null parentHash, null holdSeconds and empty groups round-trip', () => {
    const p = basePolicy();
    p.parentHash = null;
    p.groups = {};
    assert.deepEqual(parsePolicy(decodeCanonical(encodePolicy(p))), p);
    const q = basePolicy();
    assert.equal(q.groups.cold?.holdSeconds, null);
    assert.equal(parsePolicy(decodeCanonical(encodePolicy(q))).groups.cold?.holdSeconds, null);
  });

  test('the hash changes when any limit (or any other field) changes, and every change gives a distinct hash', () => {
    const mutations: Record<string, (p: PolicyDocument) => void> = {
      perTxMax: (p) => (asAssetRules(p, 'hot', '31337:native').perTxMax += 1n),
      'window seconds': (p) => (asAssetRules(p, 'hot', '31337:native').windows[0]!.seconds += 1),
      'window maxAmount': (p) => (asAssetRules(p, 'hot', '31337:native').windows[0]!.maxAmount += 1n),
      'window maxCount': (p) => (asAssetRules(p, 'hot', '31337:native').windows[0]!.maxCount += 1),
      'second window maxAmount': (p) => (asAssetRules(p, 'hot', '31337:native').windows[1]!.maxAmount -= 1n),
      'window removed': (p) => asAssetRules(p, 'hot', '31337:native').windows.pop(),
      'windows reordered': (p) => asAssetRules(p, 'hot', '31337:native').windows.reverse(),
      'tier above': (p) => (asAssetRules(p, 'hot', '31337:native').approvalTiers[0]!.above += 1n),
      'tier required': (p) => (asAssetRules(p, 'hot', '31337:native').approvalTiers[1]!.required -= 1),
      'tier removed': (p) => asAssetRules(p, 'hot', '31337:native').approvalTiers.pop(),
      'other asset perTxMax': (p) => (asAssetRules(p, 'hot', '1:native').perTxMax -= 1n),
      'asset removed': (p) => delete p.groups.hot!.assets['1:native'],
      'group holdSeconds': (p) => (p.groups.hot!.holdSeconds = 3601),
      'group holdSeconds null -> 0': (p) => (p.groups.cold!.holdSeconds = 0),
      whitelistRequired: (p) => (p.groups.hot!.whitelistRequired = false),
      'chain added': (p) => p.groups.hot!.chains.push(10n),
      'group removed': (p) => delete p.groups.cold,
      defaultHoldSeconds: (p) => (p.defaultHoldSeconds += 1),
      adminQuorum: (p) => (p.adminQuorum = 1),
      'approver removed': (p) => p.approvers.pop(),
      'admin key': (p) => (p.admins[0]!.publicKey = ES_KEYS[2]!),
      version: (p) => (p.version += 1),
      parentHash: (p) => (p.parentHash = null),
      deviceId: (p) => (p.deviceId = 'dev-policy-2'),
    };
    const seen = new Map<string, string>([[hex(policyHash(basePolicy())), 'base']]);
    for (const [name, mutate] of Object.entries(mutations)) {
      const p = basePolicy();
      mutate(p);
      const h = hex(policyHash(p));
      assert.ok(!seen.has(h), `"${name}" gives the same hash as "${seen.get(h)}"`);
      seen.set(h, name);
    }
  });

  test('property: random documents round-trip with the same hash and bytes', () => {
    const amount = fc.oneof(fc.constantFrom(0n, 1n, (1n << 64n) - 1n, 1n << 64n, MAX_UINT256), fc.bigInt({ min: 0n, max: MAX_UINT256 }));
    const assetArb = fc.record({
      perTxMax: amount,
      windows: fc.array(fc.record({ seconds: fc.integer({ min: 1, max: 366 * 86_400 }), maxAmount: amount, maxCount: fc.nat() }), { maxLength: 3 }),
      approvalTiers: fc.array(fc.record({ above: amount, required: fc.integer({ min: 0, max: 4 }) }), { maxLength: 3 }),
    });
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9:-]{0,11}$/); // NAME_RE of policy-document.ts
    const groupArb = fc.record({
      chains: fc.array(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), { maxLength: 3 }),
      whitelistRequired: fc.boolean(),
      holdSeconds: fc.option(fc.nat(), { nil: null }),
      assets: fc.dictionary(name, assetArb, { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(
        fc.nat(),
        fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: null }),
        fc.nat(),
        fc.integer({ min: 1, max: 2 }),
        fc.dictionary(name, groupArb, { maxKeys: 3 }),
        (version, parentHash, defaultHoldSeconds, adminQuorum, groups) => {
          // fast-check builds objects with a null prototype; the codec and parser give plain ones.
          const plain = JSON.parse(
            JSON.stringify(groups, (_k, v: unknown) => (typeof v === 'bigint' ? { $big: v.toString() } : v)),
            (_k, v: unknown) => (v !== null && typeof v === 'object' && '$big' in v ? BigInt((v as { $big: string }).$big) : v),
          ) as PolicyDocument['groups'];
          const p: PolicyDocument = { ...basePolicy(), version, parentHash, defaultHoldSeconds, adminQuorum, groups: plain };
          const bytes = encodePolicy(p);
          const back = parsePolicy(decodeCanonical(bytes));
          assert.deepEqual(back, p);
          assert.equal(hex(encodePolicy(back)), hex(bytes));
          assert.equal(hex(policyHash(back)), hex(sha256(bytes)));
        },
      ),
      { seed: 424242, numRuns: 150 },
    );
  });

  test('property: two documents differing only in perTxMax have different hashes', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_UINT256 }), fc.bigInt({ min: 0n, max: MAX_UINT256 }), (a, b) => {
        fc.pre(a !== b);
        const p = basePolicy();
        const q = basePolicy();
        asAssetRules(p, 'hot', '31337:native').perTxMax = a;
        asAssetRules(q, 'hot', '31337:native').perTxMax = b;
        assert.notEqual(hex(policyHash(p)), hex(policyHash(q)));
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  /** Adds an own "__proto__" entry (as the CBOR decoder would produce it) next to `template`. */
  function withProtoKey(where: 'groups' | 'assets'): Uint8Array {
    const d = rawDoc();
    const groups = d.groups as CborMap;
    const hotAssets = (groups.hot as CborMap).assets as CborMap;
    const container = where === 'groups' ? groups : hotAssets;
    const template = where === 'groups' ? groups.cold : hotAssets['1:native'];
    Object.defineProperty(container, '__proto__', { value: template, enumerable: true, writable: true, configurable: true });
    return encodeCanonical(d);
  }

  function refusedOrFaithful(bytes: Uint8Array, what: string): void {
    let parsed: PolicyDocument;
    try {
      parsed = parsePolicy(decodeCanonical(bytes));
    } catch (e) {
      assert.ok(e instanceof ApplianceError && e.code === 'bad_request', `refused, but not with bad_request: ${String(e)}`);
      return;
    }
    assert.equal(Object.getPrototypeOf(parsed.groups), Object.prototype, `${what}: the groups object keeps its prototype`);
    for (const g of Object.values(parsed.groups)) assert.equal(Object.getPrototypeOf(g.assets), Object.prototype, `${what}: an assets object keeps its prototype`);
    assert.equal(hex(encodePolicy(parsed)), hex(bytes), `${what} was accepted but is missing from the encoding and the policy hash`);
  }

  test('a group named "__proto__" is refused or kept faithfully (never enforced yet left out of the hash)', () => {
    refusedOrFaithful(withProtoKey('groups'), 'a group named "__proto__"');
  });

  test('an asset named "__proto__" is refused or kept faithfully (never enforced yet left out of the hash)', () => {
    refusedOrFaithful(withProtoKey('assets'), 'an asset named "__proto__"');
  });

  test('a group named "constructor" is an ordinary group (own property) and round-trips', () => {
    const d = rawDoc();
    setIn(d, ['groups', 'constructor'], (d.groups as CborMap).cold);
    const p = parsePolicy(decodeCanonical(encodeCanonical(d)));
    assert.ok(Object.hasOwn(p.groups, 'constructor'));
    assert.equal(hex(encodePolicy(p)), hex(encodeCanonical(d)));
  });

  test('helpers: nativeAssetId and groupHoldSeconds (group value, null -> policy default, unknown -> default)', () => {
    assert.equal(nativeAssetId(31337n), '31337:native');
    const p = basePolicy();
    assert.equal(groupHoldSeconds(p, 'hot'), 3600);
    assert.equal(groupHoldSeconds(p, 'cold'), DEFAULT_HOLD_SECONDS);
    assert.equal(groupHoldSeconds(p, 'missing'), DEFAULT_HOLD_SECONDS);
    p.groups.hot!.holdSeconds = 0;
    assert.equal(groupHoldSeconds(p, 'hot'), 0, '0 is a hold of 0, not "use the default"');
    assert.equal(DEFAULT_HOLD_SECONDS, 48 * 3600);
  });

  test('maxApprovalLifetimeSeconds: absent means 24 h and leaves the canonical form (and hash) of older documents as they were; present, it is hashed', () => {
    const p = basePolicy();
    assert.equal(maxApprovalLifetimeSeconds(p), 86_400);
    assert.equal(Object.hasOwn(policyToCbor(p), 'maxApprovalLifetimeSeconds'), false);
    const capped = { ...basePolicy(), maxApprovalLifetimeSeconds: 3600 };
    assert.equal(maxApprovalLifetimeSeconds(capped), 3600);
    const back = parsePolicy(decodeCanonical(encodePolicy(capped)));
    assert.equal(back.maxApprovalLifetimeSeconds, 3600);
    assert.notEqual(hex(policyHash(capped)), hex(policyHash(p)));
    // the bounds themselves are accepted: 5 min and 30 days
    for (const v of [300, 30 * 86_400]) assert.equal(parsePolicy(withChange(['maxApprovalLifetimeSeconds'], v)).maxApprovalLifetimeSeconds, v);
  });

  test('boundaries that are accepted: amount 2^256 - 1 (bignum), chain id 2^64 - 1, adminQuorum == admins, tier required == approvers', () => {
    const d = rawDoc();
    setIn(d, [...ASSET, 'perTxMax'], MAX_UINT256);
    setIn(d, [...HOT, 'chains', 0], (1n << 64n) - 1n);
    setIn(d, ['adminQuorum'], 2);
    setIn(d, [...ASSET, 'approvalTiers', 0, 'required'], 4);
    const p = parsePolicy(decodeCanonical(encodeCanonical(d)));
    assert.equal(asAssetRules(p, 'hot', '31337:native').perTxMax, MAX_UINT256);
    assert.equal(p.groups.hot?.chains[0], (1n << 64n) - 1n);
    assert.equal(asAssetRules(p, 'hot', '31337:native').approvalTiers[0]?.required, 4);
  });
});

describe('validation: every refusal is bad_request', () => {
  test('not a map', () => {
    for (const v of [null, 1, 'policy', new Uint8Array(3), [], new Map<CborValue, CborValue>([[1, 2]])] as CborValue[]) assertBadRequest(v, `top level ${String(v)}`);
  });

  test('unknown fields at every level', () => {
    const cases: [string, Path][] = [
      ['top level', ['extra']],
      ['group', [...HOT, 'extra']],
      ['asset', [...ASSET, 'extra']],
      ['window', [...ASSET, 'windows', 0, 'extra']],
      ['tier', [...ASSET, 'approvalTiers', 0, 'extra']],
      ['admin', ['admins', 0, 'extra']],
      ['approver', ['approvers', 1, 'extra']],
    ];
    for (const [what, path] of cases) assertBadRequest(withChange(path, 1), `unknown field in ${what}`);
  });

  test('missing required fields', () => {
    const paths: Path[] = [
      ['version'],
      ['parentHash'],
      ['deviceId'],
      ['defaultHoldSeconds'],
      ['admins'],
      ['adminQuorum'],
      ['approvers'],
      ['groups'],
      [...HOT, 'chains'],
      [...HOT, 'whitelistRequired'],
      [...HOT, 'assets'],
      [...ASSET, 'perTxMax'],
      [...ASSET, 'windows'],
      [...ASSET, 'approvalTiers'],
      [...ASSET, 'windows', 0, 'seconds'],
      [...ASSET, 'windows', 0, 'maxAmount'],
      [...ASSET, 'windows', 0, 'maxCount'],
      [...ASSET, 'approvalTiers', 0, 'above'],
      [...ASSET, 'approvalTiers', 0, 'required'],
      ['approvers', 0, 'publicKey'],
      ['approvers', 0, 'alg'],
      ['approvers', 0, 'id'],
    ];
    for (const path of paths) assertBadRequest(withChange(path, undefined), `missing ${path.join('.')}`);
  });

  test('duplicate principal ids (admins, approvers)', () => {
    assertBadRequest(withChange(['admins', 1, 'id'], 'admin-a'), 'duplicate admin id');
    assertBadRequest(withChange(['approvers', 3, 'id'], 'alice'), 'duplicate approver id');
    // the same key under two ids is a different question; the same id twice is always refused
    const d = rawDoc();
    (d.approvers as CborValue[]).push((d.approvers as CborMap[])[0]!);
    assertBadRequest(d, 'the same approver listed twice');
  });

  test('adminQuorum 0 or greater than the number of admins', () => {
    assertBadRequest(withChange(['adminQuorum'], 0), 'adminQuorum 0');
    assertBadRequest(withChange(['adminQuorum'], 3), 'adminQuorum 3 of 2 admins');
    assertBadRequest(withChange(['adminQuorum'], -1), 'adminQuorum -1');
    const noAdmins = withChange(['admins'], []);
    setIn(noAdmins, ['adminQuorum'], 1);
    assertBadRequest(noAdmins, 'no admins');
  });

  test('a tier requiring more approvers than exist', () => {
    assertBadRequest(withChange([...ASSET, 'approvalTiers', 1, 'required'], 5), 'required 5 of 4 approvers');
    const none = withChange(['approvers'], []);
    assertBadRequest(none, 'tiers requiring approvers with an empty approver set');
  });

  test('bad public keys and algorithms', () => {
    const es33 = p256.getPublicKey(p256Sk(1), true);
    const notOnCurve = Uint8Array.from(ES_KEYS[0]!);
    notOnCurve[64] = notOnCurve[64]! ^ 1;
    const edSmallOrder = new Uint8Array(32); // y = 0: a point of order 4
    const edIdentity = new Uint8Array(32);
    edIdentity[0] = 1;
    const cases: [string, number, CborValue, CborValue?][] = [
      ['ES256 empty', 0, new Uint8Array(0)],
      ['ES256 64 bytes', 0, ES_KEYS[0]!.subarray(1)],
      ['ES256 wrong prefix', 0, Uint8Array.from([0x05, ...ES_KEYS[0]!.subarray(1)])],
      ['ES256 compressed with bad prefix', 0, Uint8Array.from([0x04, ...es33.subarray(1)])],
      ['ES256 not on the curve', 0, notOnCurve],
      ['ES256 key given an Ed25519 key', 0, ED_KEYS[0]!],
      ['EdDSA 31 bytes', 1, ED_KEYS[0]!.subarray(1)],
      ['EdDSA small order', 1, edSmallOrder],
      ['EdDSA identity', 1, edIdentity],
      ['EdDSA given a P-256 key', 1, ES_KEYS[0]!],
      ['public key as text', 0, hex(ES_KEYS[0]!)],
      ['unknown alg', 0, ES_KEYS[0]!, 'RS256'],
      ['alg missing case', 1, ED_KEYS[1]!, 'eddsa'],
    ];
    for (const [what, idx, key, alg] of cases) {
      const d = withChange(['approvers', idx, 'publicKey'], key);
      if (alg !== undefined) setIn(d, ['approvers', idx, 'alg'], alg);
      assertBadRequest(d, what);
      const a = withChange(['admins', idx, 'publicKey'], key);
      if (alg !== undefined) setIn(a, ['admins', idx, 'alg'], alg);
      assertBadRequest(a, `admin: ${what}`);
    }
  });

  test('chain id 0, negative, or >= 2^64', () => {
    assertBadRequest(withChange([...HOT, 'chains', 0], 0), 'chain id 0');
    assertBadRequest(withChange([...HOT, 'chains', 0], -1), 'chain id -1');
    assertBadRequest(withChange([...HOT, 'chains', 0], 1n << 64n), 'chain id 2^64');
    assertBadRequest(withChange([...HOT, 'chains', 0], '1'), 'chain id as text');
  });

  test('negative and >= 2^256 amounts, wherever an amount is', () => {
    const amountPaths: Path[] = [
      [...ASSET, 'perTxMax'],
      [...ASSET, 'windows', 0, 'maxAmount'],
      [...ASSET, 'approvalTiers', 0, 'above'],
    ];
    for (const path of amountPaths) {
      for (const v of [-1, -1n, -(1n << 70n), 1n << 256n, (1n << 256n) + 1n, 1n << 300n, '1', new Uint8Array(1), true, null] as CborValue[]) {
        assertBadRequest(withChange(path, v), `${path.join('.')} = ${String(v)}`);
      }
      // and the codec's own decoding of those values is what the appliance sees
      assertBadRequest(decodeCanonical(encodeCanonical(withChange(path, 1n << 256n))), `${path.join('.')} = 2^256 after the codec`);
      assertBadRequest(decodeCanonical(encodeCanonical(withChange(path, -1))), `${path.join('.')} = -1 after the codec`);
    }
  });

  test('other out-of-range fields', () => {
    const cases: [string, Path, CborValue][] = [
      ['window seconds 0', [...ASSET, 'windows', 0, 'seconds'], 0],
      ['window seconds over a year', [...ASSET, 'windows', 0, 'seconds'], 366 * 86_400 + 1],
      ['window maxCount negative', [...ASSET, 'windows', 0, 'maxCount'], -1],
      ['window maxCount bigint beyond safe', [...ASSET, 'windows', 0, 'maxCount'], 1n << 60n],
      ['tier required negative', [...ASSET, 'approvalTiers', 0, 'required'], -1],
      ['parentHash 31 bytes', ['parentHash'], new Uint8Array(31)],
      ['parentHash as text', ['parentHash'], 'ab'.repeat(32)],
      ['deviceId empty', ['deviceId'], ''],
      ['deviceId 129 characters', ['deviceId'], 'x'.repeat(129)],
      ['version negative', ['version'], -1],
      ['defaultHoldSeconds negative', ['defaultHoldSeconds'], -5],
      ['maxApprovalLifetimeSeconds under 5 min', ['maxApprovalLifetimeSeconds'], 299],
      ['maxApprovalLifetimeSeconds 0', ['maxApprovalLifetimeSeconds'], 0],
      ['maxApprovalLifetimeSeconds over 30 days', ['maxApprovalLifetimeSeconds'], 30 * 86_400 + 1],
      ['maxApprovalLifetimeSeconds as text', ['maxApprovalLifetimeSeconds'], '86400'],
      ['group holdSeconds negative', [...HOT, 'holdSeconds'], -1],
      ['group holdSeconds as text', [...HOT, 'holdSeconds'], '3600'],
      ['whitelistRequired not a boolean', [...HOT, 'whitelistRequired'], 1],
      ['chains not an array', [...HOT, 'chains'], 31337],
      ['windows not an array', [...ASSET, 'windows'], {}],
      ['assets not a map', [...HOT, 'assets'], []],
      ['groups not a map', ['groups'], []],
      ['admins not an array', ['admins'], {}],
      ['principal id empty', ['approvers', 0, 'id'], ''],
      ['principal id not text', ['approvers', 0, 'id'], 7],
    ];
    for (const [what, path, v] of cases) assertBadRequest(withChange(path, v), what);
  });

  test('Safes a group may co-sign for: round trip, and refusals (zero address, duplicate, allowGasRefund false, unknown field, in a sweep group)', () => {
    const safe = { chainId: 31337n, address: new Uint8Array(20).fill(0x5a) };
    const p = basePolicy();
    p.groups.hot!.safes = [safe, { chainId: 1n, address: new Uint8Array(20).fill(0x5b), allowGasRefund: true }];
    const back = parsePolicy(decodeCanonical(encodePolicy(p)));
    assert.deepEqual(back.groups.hot!.safes, p.groups.hot!.safes);
    assert.equal(hex(policyHash(back)), hex(policyHash(p)));
    assert.notEqual(hex(policyHash(p)), hex(policyHash(basePolicy())), 'the Safes are hashed');
    const safes = (list: CborValue) => withChange([...HOT, 'safes'], list);
    assertBadRequest(safes([{ chainId: 31337, address: new Uint8Array(20) }]), 'the zero address');
    assertBadRequest(safes([{ chainId: 31337, address: new Uint8Array(19).fill(1) }]), 'a 19-byte address');
    assertBadRequest(
      safes([
        { chainId: 31337, address: safe.address },
        { chainId: 31337, address: safe.address },
      ]),
      'a Safe listed twice',
    );
    assertBadRequest(safes([{ chainId: 31337, address: safe.address, allowGasRefund: false }]), 'allowGasRefund false (absent means false)');
    assertBadRequest(safes([{ chainId: 31337, address: safe.address, threshold: 2 }]), 'an unknown field');
    const sweep = withChange([...HOT, 'safes'], [{ chainId: 31337, address: safe.address }]);
    setIn(sweep, [...HOT, 'sweepTo'], new Uint8Array(20).fill(0x77));
    assertBadRequest(sweep, 'Safes in a sweep group');
  });

  test('property: mutating any one field to a random value either parses or throws bad_request, nothing else', () => {
    const paths: Path[] = [
      ['version'],
      ['adminQuorum'],
      ['defaultHoldSeconds'],
      ['parentHash'],
      ['deviceId'],
      [...HOT, 'holdSeconds'],
      [...HOT, 'chains', 1],
      [...ASSET, 'perTxMax'],
      [...ASSET, 'windows', 1, 'seconds'],
      [...ASSET, 'approvalTiers', 0, 'required'],
      ['approvers', 2, 'publicKey'],
      ['admins', 1, 'alg'],
    ];
    const value: fc.Arbitrary<CborValue> = fc.oneof(
      fc.integer(),
      fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
      fc.string({ maxLength: 10 }),
      fc.uint8Array({ maxLength: 70 }),
      fc.boolean(),
      fc.constant(null),
      fc.constant([] as CborValue[]),
      fc.constant({} as CborMap),
    );
    fc.assert(
      fc.property(fc.constantFrom(...paths), value, (path, v) => {
        try {
          parsePolicy(withChange(path, v));
        } catch (e) {
          assert.ok(e instanceof ApplianceError && e.code === 'bad_request', `${path.join('.')} = ${String(v)} threw ${String(e)}`);
        }
      }),
      { seed: 99, numRuns: 400 },
    );
  });
});
