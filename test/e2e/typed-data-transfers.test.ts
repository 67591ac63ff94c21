// Issue 11 item 2: typed data that moves funds is understood, or refused. Through the bridge, the
// appliance process, SoftHSM2 and anvil (an EIP-3009 token compiled here, whose domain the policy
// allowlists): a TransferWithAuthorization to a stranger is refused as not whitelisted and audited;
// one to a whitelisted recipient within limits is signed and moves tokens on chain, counts in the
// token's rolling window (so the next one, and an ERC-20 transfer, exceeding it are refused), and
// above the approval tier waits for approvers like a transaction; a primary type the firmware does not
// decode is refused unless its exact type hash is allowlisted for the domain; and every typed-data
// audit entry replays offline.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, keccak256, parseEther, toHex, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import type { CborMap } from '../../protocol/cbor.js';
import { replayDecisions } from '../../attestation/audit-replay.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { compileFixture, type Compiled } from '../helpers/solidity.js';
import { auditEntryOf, auditPayloadsOf, deployFromFunder, nextFunderDeployment } from '../helpers/e2e-token.js';
import { approvalBody, CHAIN_ID, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { TOKEN_DOMAIN_TYPE, transferWithAuthorizationTypedData } from '../helpers/typed-data-fixtures.js';

const UNIT = 10n ** 6n; // the token has 6 decimals, like USDC
const VALID_BEFORE = 4102444800n;
const ORDER_TYPE = 'Order(address maker,uint256 amount)';

let anvil: Anvil;
let dev: TestDevice;
let token: Compiled;
let tokenAddress: Hex;
let keyId: string;
let from: Hex;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;
let n = 0;

function policyWithAuthToken(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p, { holdSeconds: 0 });
  j.groups.hot!.assets[`${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`] = {
    perTxMax: (100n * UNIT).toString(),
    windows: [{ seconds: 3600, maxAmount: (150n * UNIT).toString(), maxCount: 100 }],
    approvalTiers: [{ above: (80n * UNIT).toString(), required: 2 }],
    decimals: 6,
  };
  // The token's domain is allowlisted, and one application type by its exact type hash.
  j.groups.hot!.typedData = [{ chainId: CHAIN_ID, verifyingContract: tokenAddress, typeHashes: [keccak256(toHex(ORDER_TYPE))] }];
  return j;
}

const domain = () => ({ name: 'Auth Token', version: '2', chainId: CHAIN_ID, verifyingContract: tokenAddress });
const authorization = (to: string, value: bigint, nonce: Hex = keccak256(toHex(`auth-${n++}`))) => transferWithAuthorizationTypedData(domain(), { from, to, value, nonce, validBefore: VALID_BEFORE });

const signTyped = (typedData: unknown, requestId = `td-${n++}`) => dev.request('POST', '/v1/sign/typed-data', dev.tokens.orchestrator, { keyId, typedData }, { 'Idempotency-Key': requestId });
const codes = (r: { json: Record<string, unknown> }) => ((r.json.reasons ?? []) as { code: string }[]).map((x) => x.code);
const balance = async (who: string) => (await anvil.publicClient.readContract({ address: tokenAddress, abi: token.abi, functionName: 'balanceOf', args: [who] })) as bigint;

/** Submits a signed authorisation to the token (anyone may: here the anvil funder). */
async function submit(td: ReturnType<typeof authorization>, signature: string) {
  const sig = signature.slice(2);
  const m = td.message;
  const hash = await anvil.funder.writeContract({
    address: tokenAddress,
    abi: token.abi,
    functionName: 'transferWithAuthorization',
    args: [m.from, m.to, BigInt(m.value), 0n, VALID_BEFORE, m.nonce, Number.parseInt(sig.slice(128, 130), 16), `0x${sig.slice(0, 64)}`, `0x${sig.slice(64, 128)}`],
    account: anvil.funder.account!,
    chain: anvil.funder.chain,
  });
  return anvil.publicClient.waitForTransactionReceipt({ hash });
}

const auditPayloads = () => auditPayloadsOf(dev);
const auditEntry = (seq: number) => auditEntryOf(dev, seq);

after(async () => {
  await dev?.stop();
  await anvil?.stop();
});

describe('EIP-3009 and other typed data through the bridge', () => {
  before(async () => {
    token = compileFixture('AuthToken.sol', 'AuthToken');
    anvil = await startAnvil();
    tokenAddress = await nextFunderDeployment(anvil);
    dev = await startTestDevice({ policy: policyWithAuthToken });
    keyId = String(dev.keys[0]?.keyId);
    from = String(dev.keys[0]?.address) as Hex;
    await deployFromFunder(anvil, token, [from, 1_000_000n * UNIT], tokenAddress);
    await whitelist(dev, recipient); // hold 0 s in this policy: active at once
  });

  test('a TransferWithAuthorization of 1,000,000 tokens to a stranger is refused with typed reasons and audited', async () => {
    const r = await signTyped(authorization(stranger, 1_000_000n * UNIT));
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.equal(r.json.status, 'denied');
    assert.deepEqual(codes(r), ['not_whitelisted', 'per_tx_limit', 'window_amount']);
    assert.equal(r.json.signature, undefined);
    const entry = await auditEntry(Number(r.json.auditSeq));
    assert.equal(entry.kind, 'sign.typed-data');
    assert.equal(entry.outcome, 'deny');
    assert.equal(entry.classification, 'eip3009');
    assert.equal(entry.result, undefined, 'nothing was signed');
  });

  test('one to a whitelisted recipient within limits is signed and moves tokens; the next one exceeding the window is refused', async () => {
    const td = authorization(recipient, 50n * UNIT);
    const requestId = `td-ok-${n++}`;
    const r = await signTyped(td, requestId);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(String(r.json.from).toLowerCase(), from.toLowerCase());
    const again = await signTyped(td, requestId);
    assert.equal(again.json.signature, r.json.signature, 'a retry with the same idempotency key returns the same signature');
    const receipt = await submit(td, String(r.json.signature));
    assert.equal(receipt.status, 'success');
    assert.equal(await balance(recipient), 50n * UNIT);
    const entry = await auditEntry(Number(r.json.auditSeq));
    assert.deepEqual([entry.outcome, entry.result], ['allow', 'signed']);
    const reserve = entry.reserve as CborMap;
    assert.deepEqual([reserve.keyId, reserve.asset, BigInt(reserve.amount as number)], [keyId, `${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`, 50n * UNIT]);

    // 50 used of 150: a further 90 is above the approval tier (80): it waits for two approvers.
    const big = authorization(recipient, 90n * UNIT);
    const bigId = `td-big-${n++}`;
    const pending = await signTyped(big, bigId);
    assert.equal(pending.status, 202, JSON.stringify(pending.json));
    assert.equal(pending.json.required, 2);
    const [alice, bob] = dev.people.approvers;
    const approve = (body: unknown) => dev.request('POST', `/v1/requests/${bigId}/approvals`, dev.tokens.approver, body);
    assert.equal((await approve(approvalBody(alice!, dev.deviceId, String(pending.json.intentDigest)))).status, 202);
    const signed = await approve(approvalBody(bob!, dev.deviceId, String(pending.json.intentDigest)));
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.deepEqual(signed.json.approvedBy, ['alice', 'bob']);
    assert.equal((await submit(big, String(signed.json.signature))).status, 'success');
    assert.equal(await balance(recipient), 140n * UNIT);

    // 140 of 150 used: another 20 exceeds the token's window, by authorisation or by transaction.
    const over = await signTyped(authorization(recipient, 20n * UNIT));
    assert.equal(over.status, 403);
    assert.deepEqual(codes(over), ['window_amount']);
    const tx = await dev.request(
      'POST',
      '/v1/sign/evm-transaction',
      dev.tokens.orchestrator,
      {
        keyId,
        transaction: {
          type: 'eip1559',
          chainId: CHAIN_ID,
          nonce: 0,
          to: tokenAddress,
          value: '0',
          gasLimit: 100_000,
          maxFeePerGas: parseEther('0.00000002').toString(),
          maxPriorityFeePerGas: '1000000000',
          data: encodeFunctionData({ abi: token.abi, functionName: 'transfer', args: [recipient, 20n * UNIT] }),
        },
      },
      { 'Idempotency-Key': `tx-over-${n++}` },
    );
    assert.deepEqual(codes(tx), ['window_amount'], 'typed transfers and token transfers share the window');
    assert.equal(await balance(recipient), 140n * UNIT);
  });

  test('a primary type the firmware does not decode is refused on the allowlisted domain unless its exact type hash is allowlisted', async () => {
    const mail = {
      types: { EIP712Domain: TOKEN_DOMAIN_TYPE, Mail: [{ name: 'contents', type: 'string' }] },
      primaryType: 'Mail',
      domain: domain(),
      message: { contents: 'pay 1,000,000 to a stranger' },
    };
    const refused = await signTyped(mail);
    assert.equal(refused.status, 403);
    assert.deepEqual(codes(refused), ['typed_type_not_allowed']);
    assert.equal((refused.json.reasons as { detail: { typeHash: string } }[])[0]!.detail.typeHash, keccak256(toHex('Mail(string contents)')));
    const order = {
      types: {
        EIP712Domain: TOKEN_DOMAIN_TYPE,
        Order: [
          { name: 'maker', type: 'address' },
          { name: 'amount', type: 'uint256' },
        ],
      },
      primaryType: 'Order',
      domain: domain(),
      message: { maker: from, amount: '1' },
    };
    const ok = await signTyped(order);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    // The same type on a domain not on the allowlist stays refused.
    const elsewhere = await signTyped({ ...order, domain: { ...domain(), verifyingContract: stranger } });
    assert.deepEqual(codes(elsewhere), ['typed_domain_not_allowed']);
  });

  test('every typed-data decision in the audit log replays offline; an edited typed-data entry does not', async () => {
    const payloads = await auditPayloads();
    const typed = payloads.filter((p) => p.kind === 'sign.typed-data' || (p.kind === 'request.approve' && p.typedData !== undefined));
    assert.ok(typed.length >= 7, `typed-data entries: ${typed.length}`);
    const report = replayDecisions(payloads);
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.confirmed, report.decisions);
    assert.ok(
      typed.every((p) => typeof p.decidedAt === 'number' && p.policyHash instanceof Uint8Array),
      'typed entries carry their replay inputs',
    );

    // Edit the recipient of the refused 1,000,000-token authorisation: the replay no longer agrees.
    const denied = payloads.find((p) => p.kind === 'sign.typed-data' && p.outcome === 'deny' && p.classification === 'eip3009')!;
    const td = denied.typedData as CborMap;
    const edited = payloads.map((p) => (p === denied ? { ...p, typedData: { ...td, message: { ...(td.message as CborMap), to: recipient } } } : p));
    const bad = replayDecisions(edited);
    assert.deepEqual(
      bad.mismatches.map((m) => m.seq),
      [denied.seq],
    );
    assert.match(bad.mismatches[0]!.why, /EIP-712 digest does not match/);
  });
});
