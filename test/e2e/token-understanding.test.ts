// Transaction understanding through SoftHSM2 and anvil: the policy judges what a call really does.
// A real ERC-20 (compiled here with solc) is deployed; its transfer's recipient and amount come from
// the calldata; allowances are capped and never unlimited by default; fees are capped per chain; other
// calldata is denied.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, maxUint256, parseEther, recoverTypedDataAddress, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { compileFixture, type Compiled } from '../helpers/solidity.js';
import { deployFromFunder, nextFunderDeployment } from '../helpers/e2e-token.js';
import { advanceDeviceTime, CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { permitTypedData } from '../helpers/typed-data-fixtures.js';

let anvil: Anvil;
let dev: TestDevice;
let token: Compiled;
let tokenAddress: Hex;
let keyId: string;
let from: Hex;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;
const spender = privateKeyToAccount(generatePrivateKey()).address;
let n = 0;
const GWEI = 1_000_000_000n;

function policyWithToken(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p);
  j.feeCaps = { [String(CHAIN_ID)]: { maxGasLimit: 200_000, maxFeeWei: (200_000n * 50n * GWEI).toString() } };
  j.groups.hot!.assets[`${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`] = {
    perTxMax: (1000n * ETH).toString(),
    windows: [{ seconds: 3600, maxAmount: (5000n * ETH).toString(), maxCount: 100 }],
    approvalTiers: [],
    decimals: 18,
    approvalCap: (500n * ETH).toString(),
  };
  j.groups.hot!.typedData = [{ chainId: CHAIN_ID, verifyingContract: tokenAddress }];
  return j;
}

async function signCall(to: string, data: Hex, opts: { value?: bigint; gasLimit?: number; maxFee?: bigint } = {}) {
  const nonce = await anvil.publicClient.getTransactionCount({ address: from, blockTag: 'pending' });
  return dev.request(
    'POST',
    '/v1/sign/evm-transaction',
    dev.tokens.orchestrator,
    {
      keyId,
      transaction: {
        type: 'eip1559',
        chainId: CHAIN_ID,
        nonce,
        to,
        value: (opts.value ?? 0n).toString(),
        gasLimit: opts.gasLimit ?? 100_000,
        maxFeePerGas: (opts.maxFee ?? 20n * GWEI).toString(),
        maxPriorityFeePerGas: GWEI.toString(),
        data,
      },
    },
    { 'Idempotency-Key': `tok-${n++}` },
  );
}
const codes = (r: { json: Record<string, unknown> }) => ((r.json.reasons ?? []) as { code: string }[]).map((x) => x.code);
const transferData = (to: string, amount: bigint) => encodeFunctionData({ abi: token.abi, functionName: 'transfer', args: [to, amount] });
const approveData = (who: string, amount: bigint) => encodeFunctionData({ abi: token.abi, functionName: 'approve', args: [who, amount] });

// Both suites share one device and chain; stop them when the file is done.
after(async () => {
  await dev?.stop();
  await anvil?.stop();
});

describe('transaction understanding on anvil', () => {
  before(async () => {
    token = compileFixture('TestToken.sol', 'TestToken');
    anvil = await startAnvil();
    tokenAddress = await nextFunderDeployment(anvil);
    dev = await startTestDevice({ policy: policyWithToken });
    keyId = String(dev.keys[0]?.keyId);
    from = String(dev.keys[0]?.address) as Hex;
    await deployFromFunder(anvil, token, [from, 10_000n * ETH], tokenAddress);
    const fund = await anvil.funder.sendTransaction({ to: from, value: parseEther('10'), account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: fund });
    // The token contract itself is whitelisted, to show that `to` is not what the whitelist judges.
    await whitelist(dev, tokenAddress);
    await whitelist(dev, recipient);
    await whitelist(dev, spender);
    await advanceDeviceTime(dev, 2); // past the test policy's 2 s whitelist hold, on the device's own clock
  });

  test('an ERC-20 transfer to a recipient not on the whitelist is denied, though `to` is the whitelisted token', async () => {
    const r = await signCall(tokenAddress, transferData(stranger, 5n * ETH));
    assert.equal(r.status, 403);
    assert.deepEqual(codes(r), ['not_whitelisted']);
  });

  test('an ERC-20 transfer to a whitelisted recipient is signed and mined; limits are in the token', async () => {
    const r = await signCall(tokenAddress, transferData(recipient, 5n * ETH));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash: await anvil.publicClient.sendRawTransaction({ serializedTransaction: String(r.json.rawTransaction) as Hex }) });
    assert.equal(receipt.status, 'success');
    assert.equal(await anvil.publicClient.readContract({ address: tokenAddress, abi: token.abi, functionName: 'balanceOf', args: [recipient] }), 5n * ETH);
    const tooMuch = await signCall(tokenAddress, transferData(recipient, 1001n * ETH));
    assert.deepEqual(codes(tooMuch), ['per_tx_limit'], "the token's own per-transaction limit applies");
    const withValue = await signCall(tokenAddress, transferData(recipient, 1n), { value: 1n });
    assert.ok(codes(withValue).includes('value_with_token_call'));
  });

  test('an unlimited approve is denied; an approve above the cap is denied; one within the cap is signed', async () => {
    assert.deepEqual(codes(await signCall(tokenAddress, approveData(spender, maxUint256))), ['unlimited_approval']);
    assert.deepEqual(codes(await signCall(tokenAddress, approveData(spender, 501n * ETH))), ['approval_above_cap']);
    assert.deepEqual(codes(await signCall(tokenAddress, approveData(stranger, 1n))), ['not_whitelisted'], 'the spender must be whitelisted');
    const ok = await signCall(tokenAddress, approveData(spender, 100n * ETH));
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash: await anvil.publicClient.sendRawTransaction({ serializedTransaction: String(ok.json.rawTransaction) as Hex }) });
    assert.equal(receipt.status, 'success');
  });

  test("a fee above the chain's cap is denied, and so is a gas limit above it", async () => {
    const nonce = await anvil.publicClient.getTransactionCount({ address: from, blockTag: 'pending' });
    const plain = (gasLimit: number, maxFee: bigint) =>
      dev.request(
        'POST',
        '/v1/sign/evm-transaction',
        dev.tokens.orchestrator,
        {
          keyId,
          transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce, to: recipient, value: '1', gasLimit, maxFeePerGas: maxFee.toString(), maxPriorityFeePerGas: '1' },
        },
        { 'Idempotency-Key': `fee-${n++}` },
      );
    assert.deepEqual(codes(await plain(200_000, 51n * GWEI)), ['fee_above_cap']);
    assert.deepEqual(codes(await plain(300_000, GWEI)), ['gas_limit_above_cap']);
    const ok = await plain(21_000, 50n * GWEI);
    assert.equal(ok.status, 200);
    await anvil.publicClient.sendRawTransaction({ serializedTransaction: String(ok.json.rawTransaction) as Hex });
  });

  test('any other calldata is denied unless the group allows that contract and selector', async () => {
    const other = encodeFunctionData({ abi: token.abi, functionName: 'transferFrom', args: [recipient, stranger, 1n] });
    assert.deepEqual(codes(await signCall(tokenAddress, other)), ['not_whitelisted'], 'transferFrom is understood: its recipient is judged');
    const r = await signCall(tokenAddress, '0xdeadbeef');
    assert.deepEqual(codes(r), ['calldata_not_allowed']);
  });
});

describe('EIP-712 signing', () => {
  const permit = (spenderAddress: string, value: bigint, verifyingContract: string = tokenAddress) =>
    permitTypedData({ name: 'Test Token', version: '1', chainId: CHAIN_ID, verifyingContract }, { owner: from, spender: spenderAddress, value });
  const signTyped = (typedData: unknown) => dev.request('POST', '/v1/sign/typed-data', dev.tokens.orchestrator, { keyId, typedData }, { 'Idempotency-Key': `td-${n++}` });

  test('a Permit within the cap to a whitelisted spender is signed, and viem recovers the key from it', async () => {
    const td = permit(spender, 100n * ETH);
    const r = await signTyped(td);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const { EIP712Domain: _domain, ...types } = td.types;
    const recovered = await recoverTypedDataAddress({
      domain: { ...td.domain, verifyingContract: tokenAddress },
      types,
      primaryType: 'Permit',
      message: { owner: from, spender, value: 100n * ETH, nonce: 0n, deadline: 4102444800n },
      signature: String(r.json.signature) as Hex,
    });
    assert.equal(recovered.toLowerCase(), from.toLowerCase());
  });

  test('an unlimited Permit, a Permit to an unknown spender, and a domain not on the allowlist are denied', async () => {
    assert.deepEqual(codes(await signTyped(permit(spender, maxUint256))), ['unlimited_approval']);
    assert.deepEqual(codes(await signTyped(permit(stranger, 1n))), ['not_whitelisted']);
    assert.deepEqual(codes(await signTyped(permit(spender, 1n, stranger))), ['typed_domain_not_allowed']);
  });
});
