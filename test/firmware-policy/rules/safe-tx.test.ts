// Issue 18 item 3: the decisions on a Safe transaction. Only a Safe the group lists is co-signed; a
// delegatecall and a gas refund are refused (a refund only to a whitelisted receiver where the Safe
// entry allows it); the Safe's nonce is guarded (another SafeTx at a signed nonce is refused, the same
// one again is judged again); and the inner call meets the same whitelist, limits, allowance caps,
// windows and approval tiers as a transaction of the group, with the decision reserving its spend and
// naming the guard record to write. A decision replays from its recorded inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { evaluateTypedData } from '../../../firmware-policy/rules/typed-data.js';
import { readTypedRequest } from '../../../firmware-policy/evm/typed-intent.js';
import { safeGuardKeyId } from '../../../firmware-policy/rules/safe-tx.js';
import { erc20AssetId, type AllowedSafe, type PolicyDocument } from '../../../firmware-policy/policy-document.js';
import type { NonceRecordView, StateView } from '../../../firmware-policy/state-view.js';
import { inputsFromCbor, inputsToCbor, recordingView, replayView, type RecordedInputs } from '../../../firmware-policy/recorded-view.js';
import type { Decision } from '../../../firmware-policy/decision.js';
import { encodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { erc20Approve, erc20Transfer, safeTxTypedData, type SafeTxFields } from '../../helpers/safe-tx.js';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const KEY = '0x1111111111111111111111111111111111111111';
const FRIEND = '0x2222222222222222222222222222222222222222';
const STRANGER = '0x3333333333333333333333333333333333333333';
const SAFE = '0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe';
const OTHER_SAFE = '0x5afe00000000000000000000000000000000beef';
const TOKEN = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
const NATIVE = '1:native';
const TOKEN_ASSET = erc20AssetId(1n, bytes(TOKEN));
const NOW = 1_700_000_000;

/** Group "hot" on chain 1: native 10 per tx, 15/h, 1 approver above 5; the token with an approval cap of 100. */
function policy(safes: AllowedSafe[] = [{ chainId: 1n, address: bytes(SAFE) }]): PolicyDocument {
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
          [NATIVE]: { perTxMax: 10n, windows: [{ seconds: 3600, maxAmount: 15n, maxCount: 10 }], approvalTiers: [{ above: 5n, required: 1 }] },
          [TOKEN_ASSET]: { perTxMax: 1000n, approvalCap: 100n, windows: [], approvalTiers: [] },
        },
        safes,
      },
    },
  };
}

function view(o: { used?: bigint; guard?: NonceRecordView } = {}): StateView {
  return {
    whitelistEntry: (_g, _c, a) => (hex(a) === FRIEND ? { activeAt: 0 } : undefined),
    windowUsage: () => ({ amount: o.used ?? 0n, count: o.used ? 1 : 0 }),
    nonceRecord: (keyId, chainId, nonce) => (keyId === safeGuardKeyId(bytes(SAFE)) && chainId === 1n && nonce === 7n ? o.guard : undefined),
  };
}

const request = (f: SafeTxFields, safe = SAFE) => ({
  ...readTypedRequest(safeTxTypedData(1, safe, f) as unknown as CborMap),
  keyGroup: 'hot',
  keyId: 'k1',
  keyAddress: bytes(KEY),
  requester: 'orchestrator',
});
const judge = (f: SafeTxFields, o: { p?: PolicyDocument; v?: StateView; safe?: string } = {}): Decision => evaluateTypedData(o.p ?? policy(), o.v ?? view(), request(f, o.safe), [], NOW);
const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test('a Safe transfer of 3 to a whitelisted address is allowed, reserves 3 for the signing key and names the Safe nonce to guard', () => {
  const r = request({ to: FRIEND, value: 3n, nonce: 7 });
  const d = evaluateTypedData(policy(), view(), r, [], NOW);
  assert.equal(d.outcome, 'allow', JSON.stringify(d.reasons));
  assert.deepEqual(d.reserve, { keyId: 'k1', asset: NATIVE, amount: 3n });
  assert.deepEqual(d.guardRecord, { keyId: `safe:${SAFE}`, chainId: 1n, nonce: 7n, intentDigest: r.digest });
});

test('a Safe the group does not list (or on a chain it does not sign for) is refused', () => {
  assert.deepEqual(codes(judge({ to: FRIEND, value: 3n, nonce: 0 }, { safe: OTHER_SAFE })), ['safe_not_allowed']);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 3n, nonce: 0 }, { p: policy([]) })), ['safe_not_allowed']);
  const elsewhere = policy([{ chainId: 5n, address: bytes(SAFE) }]);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 3n, nonce: 0 }, { p: elsewhere })), ['safe_not_allowed'], 'the entry names another chain');
  const p = policy([{ chainId: 1n, address: bytes(SAFE) }]);
  p.groups.hot!.chains = [5n];
  assert.deepEqual(codes(judge({ to: FRIEND, value: 3n, nonce: 0 }, { p })), ['chain_not_allowed']);
});

test('a delegatecall is refused, even to a whitelisted address with nothing else wrong', () => {
  const d = judge({ to: FRIEND, value: 0n, operation: 1, nonce: 0 });
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(codes(d), ['safe_delegatecall']);
  assert.equal(d.guardRecord, undefined);
});

test('a gas refund is refused unless the Safe entry allows it, and then only to a whitelisted receiver', () => {
  assert.deepEqual(codes(judge({ to: FRIEND, value: 1n, gasPrice: 1n, nonce: 0 })), ['safe_gas_refund']);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 1n, refundReceiver: STRANGER, nonce: 0 })), ['safe_gas_refund']);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 1n, gasToken: TOKEN, nonce: 0 })), ['safe_gas_refund']);
  const refunds = policy([{ chainId: 1n, address: bytes(SAFE), allowGasRefund: true }]);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 1n, gasPrice: 1n, refundReceiver: FRIEND, nonce: 0 }, { p: refunds })), []);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 1n, gasPrice: 1n, refundReceiver: STRANGER, nonce: 0 }, { p: refunds })), ['not_whitelisted']);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 1n, gasPrice: 1n, nonce: 0 }, { p: refunds })), ['safe_gas_refund'], 'zero pays whoever executes it');
});

test('the inner call meets the group rules: a stranger, the per-transaction limit, the window, calldata, unknown tokens', () => {
  assert.deepEqual(codes(judge({ to: STRANGER, value: 3n, nonce: 0 })), ['not_whitelisted']);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 11n, nonce: 0 })), ['per_tx_limit']);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 16n, nonce: 0 })), ['per_tx_limit', 'window_amount']);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 3n, nonce: 0 }, { v: view({ used: 14n }) })), ['window_amount']);
  assert.deepEqual(codes(judge({ to: FRIEND, value: 0n, data: '0xdeadbeef', nonce: 0 })), ['calldata_not_allowed'], 'a call the group does not allowlist');
  assert.deepEqual(
    codes(judge({ to: SAFE, data: `0x0d582f13${'00'.repeat(64)}`, nonce: 0 })),
    ['calldata_not_allowed'],
    'a call to the Safe itself (addOwnerWithThreshold) is a contract call like any other',
  );
  assert.deepEqual(codes(judge({ to: TOKEN, data: erc20Transfer(STRANGER, 5n), nonce: 0 })), ['not_whitelisted']);
  const unknownToken = '0x9999999999999999999999999999999999999999';
  assert.deepEqual(codes(judge({ to: unknownToken, data: erc20Transfer(FRIEND, 5n), nonce: 0 })), ['asset_not_allowed']);
  assert.deepEqual(codes(judge({ to: TOKEN, value: 1n, data: erc20Transfer(FRIEND, 5n), nonce: 0 })), ['value_with_token_call']);
});

test('an inner ERC-20 approve is judged like approve: above the approval cap refused; within it, the allowance recorded', () => {
  assert.deepEqual(codes(judge({ to: TOKEN, data: erc20Approve(FRIEND, 101n), nonce: 0 })), ['approval_above_cap']);
  assert.deepEqual(codes(judge({ to: TOKEN, data: erc20Approve(STRANGER, 50n), nonce: 0 })), ['not_whitelisted']);
  const d = judge({ to: TOKEN, data: erc20Approve(FRIEND, 50n), nonce: 0 });
  assert.equal(d.outcome, 'allow', JSON.stringify(d.reasons));
  assert.deepEqual(d.allowance, { keyId: 'k1', asset: TOKEN_ASSET, spender: bytes(FRIEND), amount: 50n, nonce: 1n << 64n });
});

test('above the approval tier, the Safe transaction waits for approvers, who sign its EIP-712 digest', () => {
  const d = judge({ to: FRIEND, value: 6n, nonce: 0 });
  assert.equal(d.outcome, 'needs_approval');
  assert.equal(d.approvals.required, 1);
});

test('the Safe nonce: another SafeTx at a signed (Safe, nonce) is refused; the same SafeTx again is judged again', () => {
  const first = request({ to: FRIEND, value: 3n, nonce: 7 });
  const guard = { intentDigest: first.digest, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, cancelled: false };
  const other = judge({ to: FRIEND, value: 4n, nonce: 7 }, { v: view({ guard }) });
  assert.deepEqual(codes(other), ['nonce_conflict']);
  const again = evaluateTypedData(policy(), view({ guard }), first, [], NOW);
  assert.equal(again.outcome, 'allow');
  assert.deepEqual(again.reserve, { keyId: 'k1', asset: NATIVE, amount: 3n }, 'judged and counted again for the key that signs');
  assert.deepEqual(codes(judge({ to: STRANGER, value: 3n, nonce: 7 }, { v: view({ guard }) })), ['nonce_conflict', 'not_whitelisted']);
  assert.equal(judge({ to: FRIEND, value: 4n, nonce: 8 }, { v: view({ guard }) }).outcome, 'allow', 'the next nonce is free');
});

test('a Safe decision replays from its recorded inputs (the guard record and the window)', () => {
  const first = request({ to: FRIEND, value: 3n, nonce: 7 });
  const guard = { intentDigest: new Uint8Array(32).fill(1), maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, cancelled: false };
  const inputs: RecordedInputs = { whitelist: [], windows: [] };
  const d = evaluateTypedData(policy(), recordingView(view({ guard }), inputs), first, [], NOW);
  const again = evaluateTypedData(policy(), replayView(inputsFromCbor(inputsToCbor(inputs))), first, [], NOW);
  assert.deepEqual(codes(d), ['nonce_conflict']);
  assert.deepEqual(encodeCanonical(again.reasons as unknown as CborMap[]), encodeCanonical(d.reasons as unknown as CborMap[]));
});
