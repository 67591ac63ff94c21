// Issue 11, item 3, for typed data: a Permit (EIP-2612) or Permit2 allowance is spending capability,
// judged like approve. Through the bridge, the appliance process, SoftHSM2 and anvil (TestToken.sol,
// which takes EIP-2612 permits): with the token's 100 per hour window used up by a transfer, a Permit
// of 50 to a whitelisted spender is refused (window_amount, audited) and the spender can pull nothing;
// in a fresh window a Permit is signed, reserved in the window, submitted on chain and pulled, and the
// next grant (approve or Permit) stops at the window; the spender's outstanding allowance is capped
// across approve and Permit (a group with a wide window shows the cap alone); a Permit2 PermitSingle
// uses up the same window; a Permit to a spender not on the whitelist is refused; every decision
// replays offline, the allowances included.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletClient, encodeFunctionData, getContractAddress, http, parseSignature, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { splitCborSeq } from '../../attestation/cbor-seq.js';
import { replayDecisions } from '../../attestation/audit-replay.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { compileFixture, type Compiled } from '../helpers/solidity.js';
import { auditEntryViaBridge, keyByLabel, pullAsSpender } from '../helpers/e2e-token.js';
import { CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { PERMIT2_ADDRESS, permit2AllowanceTypedData, permit2Domain, permitTypedData } from '../helpers/typed-data-fixtures.js';

const GWEI = 1_000_000_000n;
const T = ETH; // one token, 18 decimals
let anvil: Anvil;
let dev: TestDevice;
let token: Compiled;
let tokenAddress: Hex;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;
const spenderAccount = privateKeyToAccount(generatePrivateKey());
const spender = spenderAccount.address;
let n = 0;

function policy(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p, { windowMax: ETH, holdSeconds: 0 });
  const asset = `${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`;
  const typedData = [
    { chainId: CHAIN_ID, verifyingContract: tokenAddress },
    // Permit2's domain (an allowlisted address: nothing on chain is needed to judge it).
    { chainId: CHAIN_ID, verifyingContract: PERMIT2_ADDRESS },
  ];
  // "hot": the token's window is 100 per hour, the approval cap 100.
  j.groups.hot!.assets[asset] = {
    perTxMax: (100n * T).toString(),
    windows: [{ seconds: 3600, maxAmount: (100n * T).toString(), maxCount: 100 }],
    approvalTiers: [],
    decimals: 18,
    approvalCap: (100n * T).toString(),
  };
  j.groups.hot!.typedData = typedData;
  // "warm": a wide window (1000 per hour), the same approval cap: the outstanding cap binds on its own.
  j.groups.warm = {
    chains: [CHAIN_ID],
    whitelistRequired: true,
    holdSeconds: 0,
    assets: {
      [asset]: { perTxMax: (100n * T).toString(), windows: [{ seconds: 3600, maxAmount: (1000n * T).toString(), maxCount: 100 }], approvalTiers: [], decimals: 18, approvalCap: (100n * T).toString() },
    },
    typedData,
  };
  return j;
}

const key = (label: string) => keyByLabel(dev, label);
const codes = (r: { json: Record<string, unknown> }) => ((r.json.reasons ?? []) as { code: string }[]).map((x) => x.code);
const call = (functionName: string, args: unknown[]) => encodeFunctionData({ abi: token.abi, functionName, args });
const read = async (functionName: string, args: unknown[]) => (await anvil.publicClient.readContract({ address: tokenAddress, abi: token.abi, functionName, args })) as bigint;

async function signTx(label: string, data: Hex) {
  const k = key(label);
  const nonce = await anvil.publicClient.getTransactionCount({ address: k.address, blockTag: 'pending' });
  return dev.request(
    'POST',
    '/v1/sign/evm-transaction',
    dev.tokens.orchestrator,
    {
      keyId: k.keyId,
      transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce, to: tokenAddress, value: '0', gasLimit: 100_000, maxFeePerGas: (20n * GWEI).toString(), maxPriorityFeePerGas: GWEI.toString(), data },
    },
    { 'Idempotency-Key': `grant-tx-${n++}` },
  );
}

async function mine(raw: unknown) {
  const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: String(raw) as Hex });
  assert.equal((await anvil.publicClient.waitForTransactionReceipt({ hash })).status, 'success');
}

/** An EIP-2612 Permit of the key's tokens, at the owner's current on-chain permit nonce. */
async function permit(label: string, to: string, value: bigint) {
  const owner = key(label).address;
  return permitTypedData({ name: 'Test Token', version: '1', chainId: CHAIN_ID, verifyingContract: tokenAddress }, { owner, spender: to, value, nonce: await read('nonces', [owner]) });
}

const permitSingle = (amount: bigint) => permit2AllowanceTypedData(permit2Domain(CHAIN_ID), spender, { token: tokenAddress, amount });

const signTyped = (label: string, typedData: unknown) =>
  dev.request('POST', '/v1/sign/typed-data', dev.tokens.orchestrator, { keyId: key(label).keyId, typedData }, { 'Idempotency-Key': `grant-td-${n++}` });

/** The spender submits a signed Permit on chain (anyone may). */
async function submitPermit(td: Awaited<ReturnType<typeof permit>>, signature: unknown) {
  const { v, r, s } = parseSignature(String(signature) as Hex);
  const m = td.message;
  const wallet = createWalletClient({ account: spenderAccount, chain: anvil.funder.chain, transport: http(anvil.rpcUrl) });
  const hash = await wallet.writeContract({
    address: tokenAddress,
    abi: token.abi,
    functionName: 'permit',
    args: [m.owner, m.spender, BigInt(m.value), BigInt(m.deadline), Number(v), r, s],
    account: spenderAccount,
    chain: anvil.funder.chain,
  });
  assert.equal((await anvil.publicClient.waitForTransactionReceipt({ hash })).status, 'success');
}

/** The spender pulls `amount` from `owner` to the stranger; true when mined successfully. */
const pull = (owner: string, amount: bigint) => pullAsSpender(anvil, { abi: token.abi, address: tokenAddress }, spenderAccount, owner, stranger, amount);

const auditEntry = (seq: unknown) => auditEntryViaBridge(dev, seq);

after(async () => {
  await dev?.stop();
  await anvil?.stop();
});

before(async () => {
  token = compileFixture('TestToken.sol', 'TestToken');
  anvil = await startAnvil();
  const funder = anvil.funder.account!;
  const chain = anvil.funder.chain;
  tokenAddress = getContractAddress({ from: funder.address, nonce: BigInt(await anvil.publicClient.getTransactionCount({ address: funder.address })) });
  const deploy = await anvil.funder.deployContract({ abi: token.abi, bytecode: token.bytecode, args: [funder.address, 10_000n * T], account: funder, chain });
  await anvil.publicClient.waitForTransactionReceipt({ hash: deploy });
  dev = await startTestDevice({ policy, keys: [...['hot-1', 'hot-2', 'hot-3'].map((label) => ({ label, group: 'hot' })), { label: 'warm-1', group: 'warm' }] });
  for (const label of ['hot-1', 'hot-2', 'hot-3', 'warm-1']) {
    const { address } = key(label);
    const h = await anvil.funder.writeContract({ address: tokenAddress, abi: token.abi, functionName: 'transfer', args: [address, 1000n * T], account: funder, chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    await anvil.publicClient.request({ method: 'anvil_setBalance' as never, params: [address, `0x${(10n * ETH).toString(16)}`] as never });
  }
  await anvil.publicClient.request({ method: 'anvil_setBalance' as never, params: [spender, `0x${ETH.toString(16)}`] as never });
  await whitelist(dev, recipient);
  await whitelist(dev, spender);
  await whitelist(dev, spender, 'warm');
});

describe('item 3: a Permit uses up the token window', () => {
  test('with the transfer window used up, a Permit of 50 to a whitelisted spender is refused (window_amount, audited), and the spender pulls nothing', async () => {
    const owner = key('hot-1').address;
    const spent = await signTx('hot-1', call('transfer', [recipient, 100n * T]));
    assert.equal(spent.status, 200, JSON.stringify(spent.json));
    await mine(spent.json.rawTransaction);
    const r = await signTyped('hot-1', await permit('hot-1', spender, 50n * T));
    assert.equal(r.status, 403, `the Permit was signed: ${JSON.stringify(r.json)}`);
    assert.deepEqual(codes(r), ['window_amount']);
    assert.equal(r.json.signature, undefined);
    const entry = await auditEntry(r.json.auditSeq);
    assert.equal(entry.outcome, 'deny');
    assert.equal(entry.requestId, r.json.requestId);
    assert.deepEqual(
      ((entry.reasons ?? []) as { code: string }[]).map((x) => x.code),
      ['window_amount'],
    );
    assert.equal(entry.reserve, null);
    assert.equal(entry.allowance, undefined);
    assert.equal(await read('allowance', [owner, spender]), 0n);
    assert.equal(await pull(owner, 50n * T), false);
  });

  test('in a fresh window a Permit of 50 is signed, reserved and pulled on chain; then an approve of 50 fills the window and the next Permit is refused', async () => {
    const owner = key('hot-2').address;
    const td = await permit('hot-2', spender, 50n * T);
    const ok = await signTyped('hot-2', td);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const entry = await auditEntry(ok.json.auditSeq);
    assert.deepEqual(entry.reserve, {
      keyId: key('hot-2').keyId,
      asset: `${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`,
      amount: String(50n * T),
      amountUnits: `50 of token ${tokenAddress.toLowerCase()} (18 decimals)`,
    });
    assert.equal((entry.allowance as Record<string, unknown>).amount, String(50n * T));
    await submitPermit(td, ok.json.signature);
    assert.equal(await pull(owner, 50n * T), true);
    const approve = await signTx('hot-2', call('approve', [spender, 50n * T]));
    assert.equal(approve.status, 200, JSON.stringify(approve.json));
    await mine(approve.json.rawTransaction);
    assert.equal(await pull(owner, 50n * T), true);
    const third = await signTyped('hot-2', await permit('hot-2', spender, 10n * T));
    assert.equal(third.status, 403, JSON.stringify(third.json));
    assert.ok(codes(third).includes('window_amount'), JSON.stringify(codes(third)));
    assert.equal(await read('balanceOf', [stranger]), 100n * T, 'the stranger ends with exactly the window');
  });

  test('a Permit2 PermitSingle of 60 uses up the same window and stays outstanding: an approve of 50 after it is refused', async () => {
    const ok = await signTyped('hot-3', permitSingle(60n * T));
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const entry = await auditEntry(ok.json.auditSeq);
    assert.equal((entry.reserve as Record<string, unknown>).amount, String(60n * T));
    const approve = await signTx('hot-3', call('approve', [spender, 50n * T]));
    assert.equal(approve.status, 403, JSON.stringify(approve.json));
    assert.deepEqual(codes(approve), ['allowance_total_above_cap', 'window_amount'], '60 via Permit2 stays outstanding beside the approve');
  });

  test('the outstanding cap applies across approve and Permit (wide window): approve 60, then a Permit of 50 is refused, a Permit of 40 signed', async () => {
    const approve = await signTx('warm-1', call('approve', [spender, 60n * T]));
    assert.equal(approve.status, 200, JSON.stringify(approve.json));
    await mine(approve.json.rawTransaction);
    const over = await signTyped('warm-1', await permit('warm-1', spender, 50n * T));
    assert.equal(over.status, 403, JSON.stringify(over.json));
    assert.deepEqual(codes(over), ['allowance_total_above_cap']);
    const entry = await auditEntry(over.json.auditSeq);
    assert.equal(entry.outcome, 'deny');
    const fits = await signTyped('warm-1', await permit('warm-1', spender, 40n * T));
    assert.equal(fits.status, 200, JSON.stringify(fits.json));
    assert.equal(((await auditEntry(fits.json.auditSeq)).allowance as Record<string, unknown>).amount, String(100n * T));
  });

  test('a Permit to a spender not on the whitelist is refused and audited', async () => {
    const r = await signTyped('warm-1', await permit('warm-1', stranger, 1n * T));
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.deepEqual(codes(r), ['not_whitelisted']);
    assert.equal((await auditEntry(r.json.auditSeq)).outcome, 'deny');
  });
});

test('every decision replays offline from its audit entry, the Permit allowances included', async () => {
  const res = await dev.app.request('/v1/audit/export', { headers: { Authorization: `Bearer ${dev.tokens.auditor}` } });
  assert.equal(res.status, 200);
  const payloads = splitCborSeq(new Uint8Array(await res.arrayBuffer())).map((e) => entryPayload(new Uint8Array(e)));
  assert.ok(
    payloads.some((p) => p.typedData !== undefined && p.allowance !== undefined),
    'a typed-data entry records an allowance',
  );
  const report = replayDecisions(payloads);
  assert.ok(report.decisions >= 10);
  assert.deepEqual(report.mismatches, []);
});
