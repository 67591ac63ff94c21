// Issue 11, review of item 2: a Permit2 SignatureTransfer is a transfer, typed data obeys the group's
// chain list, a policy lists a typed-data domain once. Through the bridge, the appliance process,
// SoftHSM2 and anvil (Permit2Token.sol: an ERC-20 that verifies Permit2's SignatureTransfer messages
// under Permit2's own domain and layouts): a PermitBatchTransferFrom of 50 × 100 tokens (5,000, under a
// per-transaction limit of 100 and a 150/h window) to a whitelisted spender is refused; a
// PermitTransferFrom within limits is signed, reserved in the token's window, and lets the spender
// send the tokens wherever it chooses, on chain; above the tier it waits for two approvers; a witness
// form needs its type hash allowlisted; a domain on a chain the group does not sign for is refused;
// a policy document listing one domain twice is refused by the appliance; every decision replays.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import type { CborMap } from '../../protocol/cbor.js';
import { replayDecisions } from '../../attestation/audit-replay.js';
import { encodePolicy, parsePolicy, policyHash } from '../../firmware-policy/policy-document.js';
import { startAnvil, ANVIL_FUNDER_KEY, type Anvil } from '../helpers/anvil.js';
import { compileFixture, type Compiled } from '../helpers/solidity.js';
import { auditEntryOf, auditPayloadsOf, deployFromFunder, nextFunderDeployment } from '../helpers/e2e-token.js';
import { approvalBody, CHAIN_ID, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { permit2Domain, permit2TransferTypedData } from '../helpers/typed-data-fixtures.js';
import { problemFields } from '../helpers/problem.js';

const UNIT = 10n ** 6n;
const OTHER_CHAIN = 1;

let anvil: Anvil;
let dev: TestDevice;
let token: Compiled;
let tokenAddress: Hex;
let keyId: string;
let from: Hex;
/** The spender: the anvil funder, whitelisted in "hot" (it submits what it is given). */
const spender = privateKeyToAccount(ANVIL_FUNDER_KEY).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;
let n = 0;

function policyWithPermit2Token(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p, { holdSeconds: 0 });
  j.groups.hot!.assets[`${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`] = {
    perTxMax: (100n * UNIT).toString(),
    windows: [{ seconds: 3600, maxAmount: (150n * UNIT).toString(), maxCount: 100 }],
    approvalTiers: [{ above: (10n * UNIT).toString(), required: 2 }],
    decimals: 6,
  };
  // The Permit2 domain on anvil, and the same contract on a chain the group does not sign for.
  j.groups.hot!.typedData = [
    { chainId: CHAIN_ID, verifyingContract: tokenAddress },
    { chainId: OTHER_CHAIN, verifyingContract: tokenAddress },
  ];
  return j;
}

/** A SignatureTransfer under the Permit2 domain, which this test's token verifies itself (so it is the domain's contract). */
function permitTransferFrom(amounts: bigint[] | bigint, opts: { spender?: string; chainId?: number; witness?: boolean } = {}) {
  const permitted = Array.isArray(amounts) ? amounts.map((amount) => ({ token: tokenAddress, amount })) : { token: tokenAddress, amount: amounts };
  return permit2TransferTypedData(permit2Domain(opts.chainId ?? CHAIN_ID, tokenAddress), {
    spender: opts.spender ?? spender,
    permitted,
    nonce: 1000 + n++,
    ...(opts.witness ? { witness: stranger } : {}),
  });
}

const signTyped = (typedData: unknown, requestId = `p2-${n++}`) => dev.request('POST', '/v1/sign/typed-data', dev.tokens.orchestrator, { keyId, typedData }, { 'Idempotency-Key': requestId });
const codes = (r: { json: Record<string, unknown> }) => ((r.json.reasons ?? []) as { code: string }[]).map((x) => x.code);
const balance = async (who: string) => (await anvil.publicClient.readContract({ address: tokenAddress, abi: token.abi, functionName: 'balanceOf', args: [who] })) as bigint;

/** The spender pulls `requested` of a signed single PermitTransferFrom and sends it to `to`. */
async function pull(td: ReturnType<typeof permitTransferFrom>, signature: string, to: string, requested: bigint) {
  const m = td.message as { permitted: { token: Hex; amount: string }; nonce: string; deadline: string };
  const hash = await anvil.funder.writeContract({
    address: tokenAddress,
    abi: token.abi,
    functionName: 'permitTransferFrom',
    args: [{ permitted: { token: m.permitted.token, amount: BigInt(m.permitted.amount) }, nonce: BigInt(m.nonce), deadline: BigInt(m.deadline) }, { to, requestedAmount: requested }, from, signature],
    account: anvil.funder.account!,
    chain: anvil.funder.chain,
  });
  return anvil.publicClient.waitForTransactionReceipt({ hash });
}

const auditPayloads = () => auditPayloadsOf(dev);
const auditEntry = (seq: number) => auditEntryOf(dev, seq);
const assetId = () => `${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`;

after(async () => {
  await dev?.stop();
  await anvil?.stop();
});

describe('Permit2 SignatureTransfer, the chain list and duplicate domains through the bridge', () => {
  before(async () => {
    token = compileFixture('Permit2Token.sol', 'Permit2Token');
    anvil = await startAnvil();
    tokenAddress = await nextFunderDeployment(anvil);
    dev = await startTestDevice({ policy: policyWithPermit2Token });
    keyId = String(dev.keys[0]?.keyId);
    from = String(dev.keys[0]?.address) as Hex;
    await deployFromFunder(anvil, token, [from, 1_000_000n * UNIT], tokenAddress);
    await whitelist(dev, spender); // hold 0 s in this policy: active at once
  });

  test('a PermitBatchTransferFrom of 50 × 100 tokens to a whitelisted spender is refused as one transfer of 5,000, audited, nothing signed', async () => {
    const r = await signTyped(permitTransferFrom(Array.from({ length: 50 }, () => 100n * UNIT)));
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.equal(r.json.status, 'denied');
    assert.deepEqual(codes(r), ['per_tx_limit', 'window_amount']);
    assert.equal(r.json.signature, undefined);
    const entry = await auditEntry(Number(r.json.auditSeq));
    assert.deepEqual([entry.kind, entry.outcome, entry.classification, entry.result, entry.reserve], ['sign.typed-data', 'deny', 'permit2', undefined, null]);
    // Each entry alone is within the limit; two of 60 are not.
    assert.deepEqual(codes(await signTyped(permitTransferFrom([60n * UNIT, 60n * UNIT]))), ['per_tx_limit']);
    assert.deepEqual(codes(await signTyped(permitTransferFrom(1n * UNIT, { spender: stranger }))), ['not_whitelisted'], 'the spender is the recipient');
  });

  test('a PermitTransferFrom within limits is signed and reserved, and the spender sends the tokens where it chooses; above the tier it waits for two approvers; the window then refuses more', async () => {
    const small = permitTransferFrom(5n * UNIT);
    const r = await signTyped(small);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const entry = await auditEntry(Number(r.json.auditSeq));
    const reserve = entry.reserve as CborMap;
    assert.deepEqual([reserve.keyId, reserve.asset, BigInt(reserve.amount as number)], [keyId, assetId(), 5n * UNIT], 'the amount is reserved in the token window');
    // On chain: the spender pulls the tokens to an address the signer never saw.
    assert.equal((await pull(small, String(r.json.signature), stranger, 5n * UNIT)).status, 'success');
    assert.equal(await balance(stranger), 5n * UNIT);

    // 50 is above the tier (10): it waits for two approvers, as a transfer would.
    const big = permitTransferFrom(50n * UNIT);
    const bigId = `p2-big-${n++}`;
    const pending = await signTyped(big, bigId);
    assert.equal(pending.status, 202, JSON.stringify(pending.json));
    assert.equal(pending.json.required, 2);
    const [alice, bob] = dev.people.approvers;
    const approve = (body: unknown) => dev.request('POST', `/v1/requests/${bigId}/approvals`, dev.tokens.approver, body);
    assert.equal((await approve(approvalBody(alice!, dev.deviceId, String(pending.json.intentDigest)))).status, 202);
    const signed = await approve(approvalBody(bob!, dev.deviceId, String(pending.json.intentDigest)));
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.equal((await pull(big, String(signed.json.signature), stranger, 50n * UNIT)).status, 'success');
    assert.equal(await balance(stranger), 55n * UNIT);

    // 55 of 150 used: a further 100 (within the per-transaction limit) exceeds the window.
    const over = await signTyped(permitTransferFrom(100n * UNIT));
    assert.equal(over.status, 403);
    assert.deepEqual(codes(over), ['window_amount']);
  });

  test('a witness transfer is refused unless its type hash is allowlisted; typed data on a chain the group does not sign for is refused', async () => {
    const witness = await signTyped(permitTransferFrom(1n * UNIT, { witness: true }));
    assert.equal(witness.status, 403);
    assert.deepEqual(codes(witness), ['typed_type_not_allowed']);
    const offChain = await signTyped(permitTransferFrom(1n * UNIT, { chainId: OTHER_CHAIN }));
    assert.equal(offChain.status, 403);
    assert.deepEqual(codes(offChain), ['chain_not_allowed']);
    const entry = await auditEntry(Number(offChain.json.auditSeq));
    assert.deepEqual([entry.outcome, entry.result], ['deny', undefined]);
  });

  test('a policy document listing one typed-data domain twice is refused by the appliance (bad_request), audited, and nothing is proposed', async () => {
    const active = (await dev.client.call('policy.get')) as CborMap;
    const doc = parsePolicy(active.document as CborMap);
    const hot = doc.groups.hot!;
    // The second entry would add a type hash the evaluator never reads (it takes the first entry).
    const twice = {
      ...doc,
      version: doc.version + 1,
      parentHash: policyHash(doc),
      groups: {
        ...doc.groups,
        hot: { ...hot, typedData: [...hot.typedData!, { chainId: BigInt(CHAIN_ID), verifyingContract: hot.typedData![0]!.verifyingContract, typeHashes: [new Uint8Array(32).fill(0xab)] }] },
      },
    };
    const r = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { document: '0x' + Buffer.from(encodePolicy(twice)).toString('hex') });
    assert.equal(r.status, 400, JSON.stringify(r.json));
    const error = problemFields(r.json) as { code: string; message: string; details?: { auditSeq?: number } };
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, /groups\.hot\.typedData\[2\]" repeats the domain/);
    const refusal = await auditEntry(Number(error.details?.auditSeq));
    assert.deepEqual([refusal.kind, refusal.command, refusal.code], ['refusal', 'policy.propose', 'bad_request']);
    assert.equal((await auditPayloads()).filter((p) => p.kind === 'policy.propose').length, 0, 'nothing was proposed');
  });

  test('every typed-data decision in the audit log replays offline', async () => {
    const payloads = await auditPayloads();
    const typed = payloads.filter((p) => p.kind === 'sign.typed-data' || (p.kind === 'request.approve' && p.typedData !== undefined));
    assert.ok(typed.length >= 8, `typed-data entries: ${typed.length}`);
    const report = replayDecisions(payloads);
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.confirmed, report.decisions);
  });
});
