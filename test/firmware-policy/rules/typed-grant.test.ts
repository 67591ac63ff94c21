// Issue 11, item 3, for typed data: an allowance granted by a signature (EIP-2612 Permit, Permit2
// PermitSingle / PermitBatch) is spending capability, judged like approve: whitelisted spender (a
// revoke excepted), approval cap and outstanding-allowance cap, the token's windows (reserved) and
// approval tiers; on allow the decision carries the spender's outstanding allowance. The owner of a
// Permit must be the signing key; Permit2's unlimited is 2^160-1; a batch grants one token. A decision
// replays from its recorded inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { evaluateTypedData, type TypedEvaluationRequest } from '../../../firmware-policy/rules/typed-data.js';
import { readTypedRequest } from '../../../firmware-policy/evm/typed-intent.js';
import { erc20AssetId, type PolicyDocument } from '../../../firmware-policy/policy-document.js';
import type { AllowanceView, StateView } from '../../../firmware-policy/state-view.js';
import { inputsFromCbor, inputsToCbor, recordingView, replayView, type RecordedInputs } from '../../../firmware-policy/recorded-view.js';
import { allowanceToCbor, type Decision } from '../../../firmware-policy/decision.js';
import { encodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { permit2AllowanceTypedData, permit2Domain, permitTypedData } from '../../helpers/typed-data-fixtures.js';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const KEY = '0x1111111111111111111111111111111111111111';
const SPENDER = '0x2222222222222222222222222222222222222222';
const STRANGER = '0x3333333333333333333333333333333333333333';
const TOKEN = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
const OTHER_TOKEN = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2';
const PERMIT2 = '0x000000000022d473030f116ddee9f6b43ac78ba3';
const ASSET = erc20AssetId(1n, bytes(TOKEN));
const MAX_UINT160 = (1n << 160n) - 1n;
const MAX_UINT256 = (1n << 256n) - 1n;
const NOW = 1_700_000_000;

const permit = (spender: string, value: bigint, owner = KEY) => permitTypedData({ name: 'Token', version: '1', chainId: 1, verifyingContract: TOKEN }, { owner, spender, value });

/** A Permit2 PermitSingle, or a PermitBatch for a list (no EIP712Domain in `types`: the rule reads the domain itself). */
const permit2 = (spender: string, details: { token: string; amount: bigint }[] | { token: string; amount: bigint }) =>
  permit2AllowanceTypedData(permit2Domain(1, PERMIT2), spender, details, { domainType: false });

/** approvalCap 100, a 150/h window, 2 approvers above 60 (when tiers are asked for). */
function policy(o: { tiers?: boolean; unlimited?: boolean } = {}): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: 'dev',
    defaultHoldSeconds: 0,
    admins: [{ id: 'admin', alg: 'EdDSA', publicKey: ed25519.getPublicKey(new Uint8Array(32).fill(7)) }],
    adminQuorum: 1,
    approvers: [{ id: 'ann', alg: 'EdDSA', publicKey: ed25519.getPublicKey(new Uint8Array(32).fill(8)) }],
    requesters: [{ id: 'orchestrator' }],
    groups: {
      hot: {
        chains: [1n],
        whitelistRequired: true,
        holdSeconds: null,
        assets: {
          [ASSET]: {
            perTxMax: 100n,
            approvalCap: 100n,
            windows: [{ seconds: 3600, maxAmount: 150n, maxCount: 10 }],
            approvalTiers: o.tiers ? [{ above: 60n, required: 2 }] : [],
            ...(o.unlimited ? { allowUnlimitedApproval: true } : {}),
          },
        },
        typedData: [
          { chainId: 1n, verifyingContract: bytes(TOKEN) },
          { chainId: 1n, verifyingContract: bytes(PERMIT2) },
        ],
      },
    },
  };
}

function view(o: { used?: bigint; allowance?: AllowanceView } = {}): StateView {
  return {
    whitelistEntry: (_g, _c, a) => (hex(a) === SPENDER ? { activeAt: 0 } : undefined),
    windowUsage: () => ({ amount: o.used ?? 0n, count: o.used ? 1 : 0 }),
    allowance: () => o.allowance,
  };
}

function judge(td: unknown, o: { p?: PolicyDocument; v?: StateView } = {}): Decision {
  const t = readTypedRequest(td as CborMap);
  const req: TypedEvaluationRequest = { ...t, keyGroup: 'hot', keyId: 'k1', keyAddress: bytes(KEY), requester: 'orchestrator' };
  return evaluateTypedData(o.p ?? policy(), o.v ?? view(), req, [], NOW);
}
const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test("the issue's attack by Permit: with the window used up, a Permit of 50 to a whitelisted spender is refused window_amount", () => {
  const d = judge(permit(SPENDER, 50n), { v: view({ used: 150n }) });
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(codes(d), ['window_amount']);
  assert.equal(d.reserve, undefined);
  assert.equal(d.allowance, undefined);
});

test('a Permit within limits reserves its amount in the token window and records the outstanding allowance (added: it may land at any time)', () => {
  const d = judge(permit(SPENDER, 50n), { v: view({ used: 20n, allowance: { amount: 30n, nonce: 4n } }) });
  assert.equal(d.outcome, 'allow', JSON.stringify(codes(d)));
  assert.deepEqual(d.reserve, { keyId: 'k1', asset: ASSET, amount: 50n });
  assert.deepEqual(d.allowance, { keyId: 'k1', asset: ASSET, spender: bytes(SPENDER), amount: 80n, nonce: 1n << 64n });
});

test('the outstanding cap applies across approve and Permit: 60 outstanding + a Permit of 50 is above the cap of 100', () => {
  assert.deepEqual(codes(judge(permit(SPENDER, 50n), { v: view({ allowance: { amount: 60n, nonce: 1n } }) })), ['allowance_total_above_cap']);
  assert.deepEqual(codes(judge(permit2(SPENDER, { token: TOKEN, amount: 50n }), { v: view({ allowance: { amount: 60n, nonce: 1n } }) })), ['allowance_total_above_cap']);
});

test('a Permit to a spender not on the whitelist, of another owner, above the cap, or unlimited is refused', () => {
  assert.deepEqual(codes(judge(permit(STRANGER, 50n))), ['not_whitelisted']);
  assert.deepEqual(codes(judge(permit(SPENDER, 50n, STRANGER))), ['typed_owner_not_signer']);
  assert.deepEqual(codes(judge(permit(SPENDER, 101n))), ['approval_above_cap']);
  assert.deepEqual(codes(judge(permit(SPENDER, MAX_UINT256))), ['unlimited_approval']);
});

test('a revoke (Permit of 0) needs no whitelist entry and reserves nothing', () => {
  const d = judge(permit(STRANGER, 0n), { v: view({ used: 150n }) });
  assert.equal(d.outcome, 'allow', JSON.stringify(codes(d)));
  assert.equal(d.reserve, undefined);
  assert.equal(d.allowance?.amount, 0n);
});

test('Permit2: unlimited is 2^160-1, refused unless allowed (then not counted); a grant above the window is refused', () => {
  assert.deepEqual(codes(judge(permit2(SPENDER, { token: TOKEN, amount: MAX_UINT160 }))), ['unlimited_approval']);
  const allowed = judge(permit2(SPENDER, { token: TOKEN, amount: MAX_UINT160 }), { p: policy({ unlimited: true }), v: view({ used: 150n }) });
  assert.equal(allowed.outcome, 'allow', JSON.stringify(codes(allowed)));
  assert.equal(allowed.reserve, undefined);
  assert.equal(allowed.allowance?.amount, MAX_UINT256);
  assert.deepEqual(codes(judge(permit2(SPENDER, { token: TOKEN, amount: 50n }), { v: view({ used: 120n }) })), ['window_amount']);
  assert.deepEqual(codes(judge(permit2(STRANGER, { token: TOKEN, amount: 50n }))), ['not_whitelisted']);
});

test('Permit2 PermitBatch: one token (repeats summed) is judged and reserved; two tokens are refused typed_batch_tokens', () => {
  const one = judge(
    permit2(SPENDER, [
      { token: TOKEN, amount: 30n },
      { token: TOKEN, amount: 40n },
    ]),
  );
  assert.equal(one.outcome, 'allow', JSON.stringify(codes(one)));
  assert.deepEqual(one.reserve, { keyId: 'k1', asset: ASSET, amount: 70n });
  assert.deepEqual(
    codes(
      judge(
        permit2(SPENDER, [
          { token: TOKEN, amount: 60n },
          { token: TOKEN, amount: 60n },
        ]),
      ),
    ),
    ['approval_above_cap'],
  );
  const two = judge(
    permit2(SPENDER, [
      { token: TOKEN, amount: 10n },
      { token: OTHER_TOKEN, amount: 10n },
    ]),
  );
  assert.deepEqual(codes(two), ['typed_batch_tokens']);
  assert.equal(two.reserve, undefined);
});

test('a grant above the tier waits for approvals (nothing reserved)', () => {
  const d = judge(permit(SPENDER, 70n), { p: policy({ tiers: true }) });
  assert.equal(d.outcome, 'needs_approval');
  assert.equal(d.approvals.required, 2);
  assert.equal(d.reserve, undefined);
});

test('a Permit decision replays from its recorded inputs, the allowance it read and the one it left included', () => {
  const inputs: RecordedInputs = { whitelist: [], windows: [] };
  const live = view({ used: 10n, allowance: { amount: 20n, nonce: null } });
  const t = readTypedRequest(permit(SPENDER, 50n) as unknown as CborMap);
  const req: TypedEvaluationRequest = { ...t, keyGroup: 'hot', keyId: 'k1', keyAddress: bytes(KEY), requester: 'orchestrator' };
  const d = evaluateTypedData(policy(), recordingView(live, inputs), req, [], NOW);
  assert.equal(d.outcome, 'allow');
  assert.ok(inputs.allowances?.length === 1, 'the allowance read is recorded');
  const again = evaluateTypedData(policy(), replayView(inputsFromCbor(inputsToCbor(inputs))), req, [], NOW);
  assert.deepEqual(encodeCanonical(allowanceToCbor(again.allowance)), encodeCanonical(allowanceToCbor(d.allowance)));
  assert.deepEqual(again.reserve, d.reserve);
});
