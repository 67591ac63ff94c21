// Issue 11, review of item 2. A Permit2 SignatureTransfer (PermitTransferFrom, PermitBatchTransferFrom
// and the witness forms) hands the permitted tokens to the spender at once, so it is judged as a
// transfer to the spender: whitelist, per-transaction limit on the amount summed per token, the token's
// window (reserved) and the approval tiers; a batch moves one token; a witness form needs its exact
// type hash allowlisted. Typed data also obeys the group's chain list, and a policy may not list one
// typed-data domain twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { evaluateTypedData } from '../../../firmware-policy/rules/typed-data.js';
import { readTypedRequest } from '../../../firmware-policy/evm/typed-intent.js';
import { erc20AssetId, parsePolicy, policyToCbor, type PolicyDocument } from '../../../firmware-policy/policy-document.js';
import type { StateView } from '../../../firmware-policy/state-view.js';
import type { CborMap } from '../../../protocol/cbor.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { permit2Domain, permit2TransferTypedData, permitTypedData } from '../../helpers/typed-data-fixtures.js';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const KEY = '0x1111111111111111111111111111111111111111';
const SPENDER = '0x2222222222222222222222222222222222222222';
const STRANGER = '0x3333333333333333333333333333333333333333';
const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2';
const PERMIT2 = '0x000000000022d473030f116ddee9f6b43ac78ba3';
const ASSET = erc20AssetId(1n, bytes(USDC));
const WITNESS_TYPE =
  'PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,Order witness)Order(address recipient)TokenPermissions(address token,uint256 amount)';

/** A SignatureTransfer under Permit2's domain on chain 1, nonce 7 (no EIP712Domain in `types`); a witness binds an Order to the stranger. */
const transferFrom = (
  spender: string,
  permitted: { token: string; amount: bigint }[] | { token: string; amount: bigint },
  primaryType = Array.isArray(permitted) ? 'PermitBatchTransferFrom' : 'PermitTransferFrom',
  witness = false,
) => permit2TransferTypedData(permit2Domain(1, PERMIT2), { spender, permitted, nonce: 7, ...(witness ? { witness: STRANGER } : {}) }, { primaryType, domainType: false });

/** The reviewer's probe policy: perTxMax 100, a 150/h window, 2 approvers above 10. */
function policy(opts: { tiers?: { above: bigint; required: number }[]; chains?: bigint[]; typeHashes?: string[] } = {}): PolicyDocument {
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
        chains: opts.chains ?? [1n],
        whitelistRequired: true,
        holdSeconds: null,
        assets: {
          [ASSET]: { perTxMax: 100n, windows: [{ seconds: 3600, maxAmount: 150n, maxCount: 10 }], approvalTiers: opts.tiers ?? [] },
          [erc20AssetId(1n, bytes(WETH))]: { perTxMax: 100n, windows: [], approvalTiers: [] },
        },
        typedData: [
          { chainId: 1n, verifyingContract: bytes(PERMIT2), ...(opts.typeHashes ? { typeHashes: opts.typeHashes.map(bytes) } : {}) },
          { chainId: 1n, verifyingContract: bytes(USDC) },
        ],
      },
    },
  };
}

const view = (used = 0n): StateView => ({
  whitelistEntry: (_g, _c, a) => (hex(a) === SPENDER ? { activeAt: 0 } : undefined),
  windowUsage: () => ({ amount: used, count: used > 0n ? 1 : 0 }),
});

function judge(td: unknown, p: PolicyDocument = policy(), used = 0n) {
  const t = readTypedRequest(td as CborMap);
  return evaluateTypedData(p, view(used), { ...t, keyGroup: 'hot', keyId: 'k1', keyAddress: bytes(KEY), requester: 'orchestrator' }, [], 1_700_000_000);
}
const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test('the probe: a PermitBatchTransferFrom of 50 × 100 USDC to a whitelisted spender is judged as one transfer of 5,000', () => {
  const batch = transferFrom(
    SPENDER,
    Array.from({ length: 50 }, () => ({ token: USDC, amount: 100n })),
  );
  const d = judge(batch, policy({ tiers: [{ above: 10n, required: 2 }] }));
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(codes(d), ['per_tx_limit', 'window_amount']);
  assert.equal(d.reserve, undefined);
  // Two entries of 60 sum to 120: over the per-transaction limit though each entry is within it.
  assert.deepEqual(
    codes(
      judge(
        transferFrom(SPENDER, [
          { token: USDC, amount: 60n },
          { token: USDC, amount: 60n },
        ]),
      ),
    ),
    ['per_tx_limit'],
  );
});

test('a PermitTransferFrom within limits is allowed and reserves its amount; the window and the tiers apply', () => {
  const d = judge(transferFrom(SPENDER, { token: USDC, amount: 100n }));
  assert.equal(d.outcome, 'allow', JSON.stringify(d.reasons));
  assert.deepEqual(d.reserve, { keyId: 'k1', asset: ASSET, amount: 100n });
  const batchOfOne = judge(
    transferFrom(SPENDER, [
      { token: USDC, amount: 40n },
      { token: USDC, amount: 60n },
    ]),
  );
  assert.deepEqual(batchOfOne.reserve, { keyId: 'k1', asset: ASSET, amount: 100n }, 'a batch of one token reserves its sum');
  assert.deepEqual(codes(judge(transferFrom(SPENDER, { token: USDC, amount: 20n }), policy(), 140n)), ['window_amount']);
  const tiered = judge(transferFrom(SPENDER, { token: USDC, amount: 50n }), policy({ tiers: [{ above: 10n, required: 2 }] }));
  assert.equal(tiered.outcome, 'needs_approval');
  assert.equal(tiered.approvals.required, 2);
});

test('the spender is the recipient: a stranger spender is refused as not whitelisted', () => {
  assert.deepEqual(codes(judge(transferFrom(STRANGER, { token: USDC, amount: 1n }))), ['not_whitelisted']);
});

test('a batch of two tokens is refused (one signature reserves one asset), and so is an empty batch', () => {
  const two = judge(
    transferFrom(SPENDER, [
      { token: USDC, amount: 1n },
      { token: WETH, amount: 1n },
    ]),
  );
  assert.deepEqual(codes(two), ['typed_batch_tokens']);
  assert.equal(two.reasons[0]!.detail?.tokens, 2);
  assert.deepEqual(codes(judge(transferFrom(SPENDER, []))), ['typed_batch_tokens']);
});

test('a witness transfer is refused unless its exact type hash is allowlisted, and is then judged as a transfer', () => {
  const witnessed = (spender: string, amount: bigint) => transferFrom(spender, { token: USDC, amount }, 'PermitWitnessTransferFrom', true);
  const refused = judge(witnessed(SPENDER, 1n));
  assert.deepEqual(codes(refused), ['typed_type_not_allowed']);
  const h = hex(keccak_256(new TextEncoder().encode(WITNESS_TYPE)));
  assert.equal(refused.reasons[0]!.detail?.typeHash, h);
  const allowed = policy({ typeHashes: [h] });
  assert.deepEqual(judge(witnessed(SPENDER, 100n), allowed).reserve, { keyId: 'k1', asset: ASSET, amount: 100n });
  assert.deepEqual(codes(judge(witnessed(SPENDER, 101n), allowed)), ['per_tx_limit']);
  assert.deepEqual(codes(judge(witnessed(STRANGER, 1n), allowed)), ['not_whitelisted']);
  const batch = transferFrom(SPENDER, [{ token: USDC, amount: 1n }], 'PermitBatchWitnessTransferFrom', true);
  assert.deepEqual(codes(judge(batch, allowed)), ['typed_type_not_allowed'], 'the batch witness form has its own type hash');
});

test('typed data obeys the group chain list: Permit2, Permit and an allowlisted type on a chain the group does not sign for are refused', () => {
  const offChain = policy({ chains: [5n], typeHashes: [hex(keccak_256(new TextEncoder().encode('Mail(string contents)')))] });
  assert.deepEqual(codes(judge(transferFrom(SPENDER, { token: USDC, amount: 1n }), offChain)), ['chain_not_allowed']);
  const permit = permitTypedData({ name: 'USD Coin', version: '2', chainId: 1, verifyingContract: USDC }, { owner: KEY, spender: SPENDER, value: 1n }, { domainType: false });
  assert.equal(judge(permit).outcome, 'allow', 'setup: the permit is allowed on a listed chain');
  assert.deepEqual(codes(judge(permit, offChain)), ['chain_not_allowed']);
  const mail = { types: { Mail: [{ name: 'contents', type: 'string' }] }, primaryType: 'Mail', domain: { name: 'Permit2', chainId: 1, verifyingContract: PERMIT2 }, message: { contents: 'hi' } };
  assert.equal(judge(mail, policy({ typeHashes: [hex(keccak_256(new TextEncoder().encode('Mail(string contents)')))] })).outcome, 'allow', 'setup');
  assert.deepEqual(codes(judge(mail, offChain)), ['chain_not_allowed']);
});

test('parsePolicy refuses a typed-data domain listed twice (the evaluator and the policy diff would read it differently)', () => {
  const doc = policyToCbor(policy());
  const hot = (doc.groups as CborMap).hot as CborMap;
  const entries = hot.typedData as CborMap[];
  const twice = { ...doc, groups: { hot: { ...hot, typedData: [...entries, { chainId: 1, verifyingContract: bytes(PERMIT2), typeHashes: [new Uint8Array(32).fill(0xab)] }] } } };
  assert.throws(
    () => parsePolicy(twice),
    (e: unknown) =>
      e instanceof ApplianceError &&
      e.code === 'bad_request' &&
      /groups\.hot\.typedData\[2\]" repeats the domain 1:0x000000000022d473030f116ddee9f6b43ac78ba3 of groups\.hot\.typedData\[0\]/.test(e.message),
  );
  // The same contract on another chain is another domain.
  assert.doesNotThrow(() => parsePolicy({ ...doc, groups: { hot: { ...hot, typedData: [...entries, { chainId: 5, verifyingContract: bytes(PERMIT2) }] } } }));
});
