// The typed-data rule as a pure function (issue 11 item 2): deny by default. A domain on the
// allowlist is not enough for a primary type the firmware does not decode: its exact type hash must
// be allowlisted for that domain. An EIP-3009 TransferWithAuthorization is judged as a transfer of
// the token (signer is `from`, recipient whitelist, per-tx limit, rolling window, approval tiers) and
// reserves its amount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { hashTypedData } from 'viem';
import { ed25519 } from '@noble/curves/ed25519.js';
import { evaluateTypedData, type TypedEvaluationRequest } from '../../../firmware-policy/rules/typed-data.js';
import { readTypedRequest } from '../../../firmware-policy/evm/typed-intent.js';
import { classifyTypedData, type TypedData } from '../../../firmware-policy/evm/eip712.js';
import { erc20AssetId, parsePolicy, policyHash, policyToCbor, type PolicyDocument } from '../../../firmware-policy/policy-document.js';
import { diffPolicies, isStrictlyTighter } from '../../../firmware-policy/policy-change.js';
import type { StateView } from '../../../firmware-policy/state-view.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { join } from 'node:path';
import { policyFromJson, readPolicyJson } from '../../../host-bridge/policy-json.js';
import { repoRoot } from '../../helpers/vectors.js';
import { transferWithAuthorizationTypedData } from '../../helpers/typed-data-fixtures.js';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const KEY = '0x1111111111111111111111111111111111111111';
const FRIEND = '0x2222222222222222222222222222222222222222';
const STRANGER = '0x3333333333333333333333333333333333333333';
const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
const ASSET = erc20AssetId(1n, bytes(USDC));
const NONCE = '0x' + '42'.repeat(32);

/** An EIP-3009 authorisation on USDC's domain; another `primaryType` is a look-alike with the same fields. */
const transferWithAuthorization = (to: string, value: bigint, primaryType = 'TransferWithAuthorization', from = KEY): TypedData =>
  transferWithAuthorizationTypedData({ name: 'USD Coin', version: '2', chainId: 1, verifyingContract: USDC }, { from, to, value, nonce: NONCE }, { primaryType });

const mail: TypedData = {
  types: { Mail: [{ name: 'contents', type: 'string' }] },
  primaryType: 'Mail',
  domain: { name: 'USD Coin', version: '2', chainId: 1, verifyingContract: USDC },
  message: { contents: 'hello' },
};

function policy(typeHashes?: string[], tiers: { above: bigint; required: number }[] = []): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: 'dev',
    defaultHoldSeconds: 0,
    admins: [{ id: 'admin', alg: 'EdDSA', publicKey: ed25519.getPublicKey(new Uint8Array(32).fill(7)) }],
    adminQuorum: 1,
    approvers: [],
    requesters: [{ id: 'orchestrator' }],
    groups: {
      hot: {
        chains: [1n],
        whitelistRequired: true,
        holdSeconds: null,
        assets: { [ASSET]: { perTxMax: 100n, windows: [{ seconds: 3600, maxAmount: 150n, maxCount: 10 }], approvalTiers: tiers } },
        typedData: [{ chainId: 1n, verifyingContract: bytes(USDC), ...(typeHashes ? { typeHashes: typeHashes.map(bytes) } : {}) }],
      },
    },
  };
}

const view = (used = 0n): StateView => ({
  whitelistEntry: (_g, _c, a) => (hex(a) === FRIEND ? { activeAt: 0 } : undefined),
  windowUsage: () => ({ amount: used, count: used > 0n ? 1 : 0 }),
});

function judge(td: TypedData, p: PolicyDocument = policy(), used = 0n) {
  const t = readTypedRequest(td as unknown as CborMap);
  const req: TypedEvaluationRequest = { ...t, keyGroup: 'hot', keyId: 'k1', keyAddress: bytes(KEY), requester: 'orchestrator' };
  return evaluateTypedData(p, view(used), req, [], 1_700_000_000);
}
const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test('EIP-3009: both authorisations are read as transfers (digest as viem computes it)', () => {
  const td = transferWithAuthorization(FRIEND, 5n);
  const { EIP712Domain: _d, ...types } = td.types;
  assert.equal(
    hex(readTypedRequest(td as unknown as CborMap).digest),
    hashTypedData({
      domain: { ...td.domain, verifyingContract: USDC },
      types,
      primaryType: td.primaryType,
      message: { from: KEY, to: FRIEND, value: 5n, validAfter: 0n, validBefore: 4102444800n, nonce: NONCE },
    } as never),
  );
  for (const variant of ['TransferWithAuthorization', 'ReceiveWithAuthorization']) {
    const i = classifyTypedData(transferWithAuthorization(FRIEND, 5n, variant));
    assert.equal(i.kind, 'eip3009');
    if (i.kind !== 'eip3009') continue;
    assert.equal(i.variant, variant);
    assert.deepEqual([hex(i.token!), hex(i.from), hex(i.to), i.value, hex(i.nonce)], [USDC, KEY, FRIEND, 5n, NONCE]);
  }
  // Another layout under the same name is not understood.
  const odd = transferWithAuthorization(FRIEND, 5n);
  odd.types.TransferWithAuthorization = odd.types.TransferWithAuthorization!.map((f) => (f.name === 'nonce' ? { name: 'nonce', type: 'uint256' } : f));
  assert.equal(classifyTypedData({ ...odd, message: { ...odd.message, nonce: '1' } }).kind, 'other');
});

test('EIP-3009 to a stranger is refused as not whitelisted, whatever the domain allowlist says', () => {
  const d = judge(transferWithAuthorization(STRANGER, 1_000_000n));
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(codes(d), ['not_whitelisted', 'per_tx_limit', 'window_amount']);
  assert.equal(d.reserve, undefined);
});

test('EIP-3009 to a whitelisted recipient within limits is allowed and reserves its amount in the token window', () => {
  const d = judge(transferWithAuthorization(FRIEND, 100n));
  assert.equal(d.outcome, 'allow', JSON.stringify(d.reasons));
  assert.deepEqual(d.reserve, { keyId: 'k1', asset: ASSET, amount: 100n });
  assert.deepEqual(codes(judge(transferWithAuthorization(FRIEND, 100n), policy(), 100n)), ['window_amount'], 'a second one exceeds the window');
  assert.deepEqual(codes(judge(transferWithAuthorization(FRIEND, 101n))), ['per_tx_limit']);
  assert.deepEqual(codes(judge(transferWithAuthorization(FRIEND, 5n, 'ReceiveWithAuthorization', FRIEND))), ['typed_from_not_signer']);
  const tiered = judge(transferWithAuthorization(FRIEND, 50n), policy(undefined, [{ above: 10n, required: 1 }]));
  assert.equal(tiered.outcome, 'needs_approval', 'approval tiers apply as to a transfer');
});

test('an unknown primary type is refused on an allowlisted domain unless its exact type hash is allowlisted there', () => {
  const refused = judge(mail);
  assert.equal(refused.outcome, 'deny');
  assert.deepEqual(codes(refused), ['typed_type_not_allowed']);
  const mailHash = hex(keccak_256(new TextEncoder().encode('Mail(string contents)')));
  assert.equal(refused.reasons[0]!.detail?.typeHash, mailHash);
  assert.equal(judge(mail, policy([mailHash])).outcome, 'allow');
  assert.equal(judge(mail, policy(['0x' + '00'.repeat(32)])).outcome, 'deny', 'another type hash does not cover it');
  // The same struct name with another field is another type hash.
  const mail2 = {
    ...mail,
    types: {
      Mail: [
        { name: 'contents', type: 'string' },
        { name: 'to', type: 'address' },
      ],
    },
    message: { contents: 'hi', to: STRANGER },
  };
  assert.deepEqual(codes(judge(mail2, policy([mailHash]))), ['typed_type_not_allowed']);
  // A TransferWithAuthorization can never be let through as 'other' by a type-hash entry: it is judged as a transfer.
  const twaHash = hex(keccak_256(new TextEncoder().encode('TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)')));
  assert.deepEqual(codes(judge(transferWithAuthorization(STRANGER, 1n), policy([twaHash]))), ['not_whitelisted']);
});

test('type hashes are part of the canonical, hashed policy; adding one is a loosening, removing one is stricter', () => {
  const h = '0x' + 'ab'.repeat(32);
  const without = policy();
  const withHash = policy([h]);
  assert.notDeepEqual(policyHash(without), policyHash(withHash));
  const round = parsePolicy(decodeCanonical(encodeCanonical(policyToCbor(withHash))));
  assert.deepEqual(hex(policyHash(round)), hex(policyHash(withHash)));
  assert.throws(
    () =>
      parsePolicy({
        ...policyToCbor(withHash),
        groups: { hot: { ...((policyToCbor(withHash).groups as CborMap).hot as CborMap), typedData: [{ chainId: 1, verifyingContract: bytes(USDC), typeHashes: [new Uint8Array(31)] }] } },
      }),
    /32 bytes/,
  );
  const loosen = diffPolicies(without, { ...withHash, version: 2 }).filter((c) => c.path.includes('typeHashes'));
  assert.equal(loosen.length, 1);
  assert.equal(loosen[0]!.stricter, false);
  assert.equal(isStrictlyTighter(without, { ...withHash, version: 2 }), false);
  const tighten = diffPolicies(withHash, { ...without, version: 2 }).filter((c) => c.path.includes('typeHashes'));
  assert.equal(tighten.length, 1);
  assert.equal(tighten[0]!.stricter, true);
});

test('under the example policy (which allowlists a USDC domain) an EIP-3009 transfer of 1,000,000 USDC to a stranger is refused', () => {
  const example = policyFromJson(readPolicyJson(join(repoRoot, 'examples', 'policy-tiers.json')), 'hsm-example');
  const domain = example.groups.hot!.typedData![0]!;
  assert.deepEqual(domain.typeHashes, [], 'the example allowlists no type beyond those the firmware decodes');
  const usdc = hex(domain.verifyingContract);
  const td = transferWithAuthorization(STRANGER, 1_000_000n * 10n ** 6n);
  const t = readTypedRequest({ ...td, domain: { ...td.domain, chainId: Number(domain.chainId), verifyingContract: usdc } } as unknown as CborMap);
  const d = evaluateTypedData(example, view(), { ...t, keyGroup: 'hot', keyId: 'k1', keyAddress: bytes(KEY), requester: 'withdrawals-service' }, [], 1_700_000_000);
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(codes(d), ['not_whitelisted', 'per_tx_limit', 'window_amount']);
  const m = readTypedRequest({ ...mail, domain: { ...mail.domain, chainId: Number(domain.chainId), verifyingContract: usdc } } as unknown as CborMap);
  assert.deepEqual(codes(evaluateTypedData(example, view(), { ...m, keyGroup: 'hot', keyId: 'k1', keyAddress: bytes(KEY), requester: 'withdrawals-service' }, [], 1_700_000_000)), [
    'typed_type_not_allowed',
  ]);
});
