// End-to-end: real JSON-RPC clients against the bridge's POST /v1/rpc: ethers v6's JsonRpcSigner
// (JsonRpcProvider over a FetchRequest carrying the bearer token) and viem's wallet client with an
// http transport and a JSON-RPC account, through the bridge (HTTP), the appliance (its own process,
// SoftHSM2) and anvil as the configured node. A whitelisted transfer is mined; one to an address off
// the whitelist surfaces as the JSON-RPC error -32003 with the policy's reason; one above the
// approval tier as -32010 with its request id, which after two approvals is sent by calling again
// with that id as the Idempotency-Key.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FetchRequest, JsonRpcProvider, type JsonRpcSigner } from 'ethers';
import { createWalletClient, http, parseEther, parseTransaction, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { startBridge, type RunningBridge } from '../../host-bridge/main.js';
import { anvilChain, startAnvil, type Anvil } from '../helpers/anvil.js';
import { advanceDeviceTime, approvalBody, CHAIN_ID, ETH, startTestDevice, whitelist, type TestDevice } from '../helpers/test-device.js';

let anvil: Anvil;
let dev: TestDevice;
let bridge: RunningBridge;
let provider: JsonRpcProvider;
let from: Hex;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;

type RpcErrorObject = { code: number; message: string; data?: Record<string, unknown> };
/** The JSON-RPC error object ethers keeps on the error it throws (`error` of an UNKNOWN_ERROR). */
const rpcErrorOf = (e: unknown): RpcErrorObject => (e as { error?: RpcErrorObject }).error ?? assert.fail(`not a JSON-RPC error: ${String(e)}`);

function ethersProvider(token: string): JsonRpcProvider {
  const req = new FetchRequest(`${bridge.url}/v1/rpc`);
  req.setHeader('Authorization', `Bearer ${token}`);
  const p = new JsonRpcProvider(req);
  p.pollingInterval = 200;
  return p;
}

function viemWallet(headers: Record<string, string> = {}) {
  const chain = { ...anvilChain, rpcUrls: { default: { http: [`${bridge.url}/v1/rpc`] } } };
  return createWalletClient({ chain, account: from, transport: http(`${bridge.url}/v1/rpc`, { fetchOptions: { headers: { Authorization: `Bearer ${dev.tokens.orchestrator}`, ...headers } } }) });
}

describe('JSON-RPC clients sign through the bridge, the appliance (SoftHSM2) and anvil', () => {
  before(async () => {
    anvil = await startAnvil();
    dev = await startTestDevice();
    from = String(dev.keys[0]?.address) as Hex;
    bridge = await startBridge({ socketPath: dev.paths.socket, tokensFile: dev.paths.bridgeTokens, host: '127.0.0.1', port: 0, ethNodeUrl: anvil.rpcUrl });
    const h = await anvil.funder.sendTransaction({ to: from, value: parseEther('100'), account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    await whitelist(dev, recipient);
    await advanceDeviceTime(dev, 2); // past the test policy's 2 s whitelist hold, on the device's own clock
    provider = ethersProvider(dev.tokens.orchestrator);
  });

  after(async () => {
    provider?.destroy();
    await bridge?.close();
    await dev?.stop();
    await anvil?.stop();
  });

  test('ethers: getSigner finds the key in eth_accounts; sendTransaction to a whitelisted address is filled, signed, broadcast and mined', async () => {
    const signer: JsonRpcSigner = await provider.getSigner(from);
    const before = await anvil.publicClient.getBalance({ address: recipient });
    const sent = await signer.sendTransaction({ to: recipient, value: ETH / 2n });
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash: sent.hash as Hex });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.from.toLowerCase(), from.toLowerCase());
    assert.equal(await anvil.publicClient.getBalance({ address: recipient }), before + ETH / 2n);
    const mined = await anvil.publicClient.getTransaction({ hash: sent.hash as Hex });
    assert.equal(mined.chainId, CHAIN_ID);
    assert.equal(mined.type, 'eip1559');
  });

  test('ethers: a transfer to an address off the whitelist is the JSON-RPC error -32003 with the reason not_whitelisted; nothing reaches the chain', async () => {
    const signer = await provider.getSigner(from);
    const nonce = await anvil.publicClient.getTransactionCount({ address: from, blockTag: 'pending' });
    const err = await signer.sendTransaction({ to: stranger, value: 1000n }).then(
      () => assert.fail('a transfer off the whitelist was sent'),
      (e: unknown) => e,
    );
    const rpc = rpcErrorOf(err);
    assert.equal(rpc.code, -32003, JSON.stringify(rpc));
    const reasons = rpc.data?.reasons as { rule: string; code: string; message: string }[];
    assert.ok(
      reasons.some((r) => r.rule === 'whitelist' && r.code === 'not_whitelisted' && r.message.length > 0),
      JSON.stringify(reasons),
    );
    assert.match(String(rpc.data?.requestId), /^rpc-[0-9a-f]{64}$/);
    assert.equal(await anvil.publicClient.getTransactionCount({ address: from, blockTag: 'pending' }), nonce);
    assert.equal(await anvil.publicClient.getBalance({ address: stranger }), 0n);
  });

  test('ethers: signTransaction answers the raw transaction the appliance signed (mined once sent); signMessage is refused by design', async () => {
    const signer = await provider.getSigner(from);
    const nonce = await anvil.publicClient.getTransactionCount({ address: from, blockTag: 'pending' });
    const raw = await signer.signTransaction({ to: recipient, value: 1000n, nonce, gasLimit: 21000n, maxFeePerGas: 20_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, chainId: CHAIN_ID });
    const parsed = parseTransaction(raw as Hex);
    assert.equal(parsed.nonce, nonce);
    assert.equal(parsed.to?.toLowerCase(), recipient.toLowerCase());
    // Sent, so the nonce the appliance's nonce guard now holds for this key is used on chain too.
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash: await anvil.publicClient.sendRawTransaction({ serializedTransaction: raw as Hex }) });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.from.toLowerCase(), from.toLowerCase());
    const refused = await signer.signMessage('hello').then(
      () => assert.fail('a blind message was signed'),
      (e: unknown) => e,
    );
    assert.equal(rpcErrorOf(refused).code, -32004);
  });

  test('viem: a JSON-RPC account sends a whitelisted transfer (eth_sendTransaction with from, to, value only), mined by anvil', async () => {
    const hash = await viemWallet().sendTransaction({ to: recipient, value: 1234n });
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.from.toLowerCase(), from.toLowerCase());
  });

  test('above the approval tier: -32010 with the request id; after two approvals, calling again under that id sends the same signed transaction', async () => {
    const signer = await provider.getSigner(from);
    const err = await signer.sendTransaction({ to: recipient, value: 2n * ETH }).then(
      () => assert.fail('a transfer above the tier was signed without approvals'),
      (e: unknown) => e,
    );
    const rpc = rpcErrorOf(err);
    assert.equal(rpc.code, -32010, JSON.stringify(rpc));
    const requestId = String(rpc.data?.requestId);
    assert.deepEqual(rpc.data?.poll, { method: 'GET', path: `/v1/requests/${requestId}` });
    assert.equal(rpc.data?.required, 2);
    const polled = await dev.request('GET', `/v1/requests/${requestId}`, dev.tokens.orchestrator);
    assert.equal(polled.json.status, 'pending_approval');

    const digest = String(rpc.data?.intentDigest);
    const [, bob, carol] = dev.people.approvers;
    for (const who of [bob!, carol!]) {
      const r = await dev.request('POST', `/v1/requests/${requestId}/approvals`, dev.tokens.approver, approvalBody(who, dev.deviceId, digest));
      assert.ok(r.status === 200 || r.status === 202, JSON.stringify(r.json));
    }
    const approved = await dev.request('GET', `/v1/requests/${requestId}`, dev.tokens.orchestrator);
    assert.equal(approved.json.status, 'signed');

    const before = await anvil.publicClient.getBalance({ address: recipient });
    const hash = await viemWallet({ 'Idempotency-Key': requestId }).sendTransaction({ to: recipient, value: 2n * ETH });
    assert.equal(hash, approved.json.txHash, 'the approved signature is the one sent');
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success');
    assert.equal(await anvil.publicClient.getBalance({ address: recipient }), before + 2n * ETH);
    // Calling again once more answers the same hash: nothing new is signed or sent.
    const again = await viemWallet({ 'Idempotency-Key': requestId }).sendTransaction({ to: recipient, value: 2n * ETH });
    assert.equal(again, hash);
  });

  test('the REST scopes hold: a token without the orchestrator scope is refused (HTTP 403, -32031)', async () => {
    const res = await fetch(`${bridge.url}/v1/rpc`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${dev.tokens.auditor}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_accounts', params: [] }),
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: RpcErrorObject }).error.code, -32031);
  });
});
