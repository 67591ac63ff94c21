// The viem account and the ethers signer of sdk/ against the real parts: anvil, the appliance on
// SoftHSM2 and the bridge served over HTTP. viem's walletClient.sendTransaction and ethers'
// signer.sendTransaction send transfers to a whitelisted address, mined by anvil; a transfer to an
// address off the whitelist surfaces as ApplianceDenied with the appliance's reason code; one above
// the approval tier waits on the event stream and completes when two approvers approve, or ends in
// ApprovalTimeout carrying the request id (the request stays pending on the device); typed data is
// signed through the bridge and recovers to the key; blind messages are refused; a requester whose
// group wants stamped requests signs through the adapter with its request key.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, type ServerType } from '@hono/node-server';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { JsonRpcProvider, verifyTypedData as ethersVerifyTypedData } from 'ethers';
import { BaseError, createWalletClient, http, keccak256, parseEther, toHex, verifyTypedData, type Hex, type LocalAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createApp } from '../../host-bridge/app.js';
import { addToken, readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { applianceAccount, ApplianceDenied, ApplianceSigner, ApprovalTimeout, BlindMessageRefused, BridgeClient, type SignAnswer } from '../../sdk/index.js';
import { anvilChain, startAnvil, type Anvil } from '../helpers/anvil.js';
import { approvalBody, CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';

const ORDER_TYPE = 'Order(address maker,uint256 amount)';
const DESK_DOMAIN = { name: 'Desk', version: '1', chainId: CHAIN_ID, verifyingContract: privateKeyToAccount(generatePrivateKey()).address };
const orderTypes = {
  Order: [
    { name: 'maker', type: 'address' },
    { name: 'amount', type: 'uint256' },
  ],
};

const deskSecret = p256.keygen().secretKey;
const desk = { id: 'desk', stamp: (statement: Uint8Array) => p256.sign(sha256(statement), deskSecret, { prehash: false, format: 'der' }) };

/** The test policy without a whitelist hold, with the Desk domain's Order type allowlisted, and a group "signed" only the desk requester may use, with its requests stamped. */
function policy(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p, { holdSeconds: 0 });
  const hot = j.groups.hot!;
  const signed = { ...hot, requireSignedRequests: true as const };
  hot.typedData = [{ chainId: CHAIN_ID, verifyingContract: DESK_DOMAIN.verifyingContract, typeHashes: [keccak256(toHex(ORDER_TYPE))] }];
  return {
    ...j,
    requesters: [...(j.requesters ?? []), { id: 'desk', alg: 'ES256', publicKey: `0x${bytesToHex(p256.getPublicKey(deskSecret, false))}`, groups: ['signed'] }],
    groups: { ...j.groups, signed },
  };
}

let anvil: Anvil;
let dev: TestDevice;
let server: ServerType | undefined;
let baseUrl: string;
let deskToken: string;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;
const keyOf = (label: string) => String(dev.keys.find((k) => k.label === label)?.keyId);

/** The typed error `Class` in an error's cause chain (viem wraps what an account throws in its own errors). */
function found<T extends Error>(err: unknown, Class: new (...a: never[]) => T): T | undefined {
  if (err instanceof BaseError) return err.walk((e) => e instanceof Class) as T | undefined;
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof Class) return e;
  return undefined;
}

const walletFor = (account: LocalAccount) => createWalletClient({ account, chain: { ...anvilChain, rpcUrls: { default: { http: [anvil.rpcUrl] } } }, transport: http(anvil.rpcUrl) });
const provider = () => new JsonRpcProvider(anvil.rpcUrl, CHAIN_ID, { staticNetwork: true });
const bridge = (token = dev.tokens.orchestrator) => ({ baseUrl, token });

/** Approves a pending request with two approvers of the policy, through the bridge, as an approver's tooling would. */
async function approveTwice(pending: SignAnswer): Promise<void> {
  for (const approver of dev.people.approvers.slice(1, 3)) {
    const r = await dev.request('POST', `/v1/requests/${pending.requestId}/approvals`, dev.tokens.approver, approvalBody(approver, dev.deviceId, String(pending.intentDigest)));
    assert.ok(r.status === 200 || r.status === 202, JSON.stringify(r.json));
  }
}

describe('viem and ethers adapters through the bridge, the appliance and anvil', () => {
  before(async () => {
    anvil = await startAnvil();
    dev = await startTestDevice({
      keys: [
        { label: 'hot-1', group: 'hot' },
        { label: 'hot-2', group: 'hot' },
        { label: 'signed-1', group: 'signed' },
      ],
      policy,
    });
    deskToken = addToken(dev.paths.bridgeTokens, 'desk', ['orchestrator'], 'desk');
    const app = createApp({ appliance: dev.client, tokens: new TokenVerifier(readTokens(dev.paths.bridgeTokens)) });
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
    });
    (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 0; // as test/helpers/ledger-appliance.ts
    baseUrl = `http://127.0.0.1:${port}`;
    for (const k of dev.keys) {
      const h = await anvil.funder.sendTransaction({ to: String(k.address) as Hex, value: parseEther('100'), account: anvil.funder.account!, chain: anvil.funder.chain });
      await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    }
    await whitelist(dev, recipient);
    await whitelist(dev, recipient, 'signed');
  });

  after(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await dev?.stop();
    await anvil?.stop();
  });

  test('viem: walletClient.sendTransaction with the appliance account is signed by the appliance and mined by anvil', async () => {
    const account = await applianceAccount({ bridge: bridge(), keyId: keyOf('hot-1') });
    assert.equal(account.address, String(dev.keys[0]!.address));
    const before = await anvil.publicClient.getBalance({ address: recipient });
    const hash = await walletFor(account).sendTransaction({ to: recipient, value: ETH / 2n });
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.from.toLowerCase(), account.address.toLowerCase());
    assert.equal(await anvil.publicClient.getBalance({ address: recipient }), before + ETH / 2n);
  });

  test('ethers: signer.sendTransaction with the appliance signer is populated by the provider, signed by the appliance and mined', async () => {
    const signer = await ApplianceSigner.create({ bridge: bridge(), keyId: keyOf('hot-1') }, provider());
    const before = await anvil.publicClient.getBalance({ address: recipient });
    const sent = await signer.sendTransaction({ to: recipient, value: ETH / 4n });
    assert.equal(sent.from, signer.address);
    const receipt = await sent.wait();
    assert.equal(receipt?.status, 1);
    assert.equal(await anvil.publicClient.getBalance({ address: recipient }), before + ETH / 4n);
  });

  test("a transfer off the whitelist surfaces as ApplianceDenied with the appliance's reason (viem and ethers); nothing is broadcast", async () => {
    const account = await applianceAccount({ bridge: bridge(), keyId: keyOf('hot-1') });
    const nonce = await anvil.publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' });
    const viaViem = await walletFor(account)
      .sendTransaction({ to: stranger, value: 1000n })
      .then(
        () => assert.fail('viem sent a denied transfer'),
        (err: unknown) => err,
      );
    const denied = found(viaViem, ApplianceDenied);
    assert.ok(denied, `an ApplianceDenied in the cause chain: ${String(viaViem)}`);
    assert.ok(
      denied.reasons.some((r) => r.rule === 'whitelist' && r.code === 'not_whitelisted'),
      JSON.stringify(denied.reasons),
    );
    assert.ok(denied.hasCode('not_whitelisted'));
    assert.equal(typeof denied.auditSeq, 'number');

    const signer = await ApplianceSigner.create({ bridge: bridge(), keyId: keyOf('hot-1') }, provider());
    await assert.rejects(signer.sendTransaction({ to: stranger, value: 1000n }), (err: unknown) => {
      const e = found(err, ApplianceDenied);
      assert.ok(e, String(err));
      assert.ok(e.hasCode('not_whitelisted'), JSON.stringify(e.reasons));
      assert.notEqual(e.requestId, denied.requestId);
      return true;
    });
    assert.equal(await anvil.publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' }), nonce, 'nothing reached the chain');
    assert.equal(await anvil.publicClient.getBalance({ address: stranger }), 0n);
  });

  test('above the approval tier: the viem account waits on the event stream and completes when two approvers approve; the transfer is mined', async () => {
    let pending: SignAnswer | undefined;
    let approving: Promise<void> | undefined;
    const account = await applianceAccount({
      bridge: bridge(),
      keyId: keyOf('hot-1'),
      approvalTimeoutMs: 60_000,
      onPending: (answer) => {
        pending = answer;
        approving = approveTwice(answer);
      },
    });
    const before = await anvil.publicClient.getBalance({ address: recipient });
    const hash = await walletFor(account).sendTransaction({ to: recipient, value: 2n * ETH });
    await approving;
    assert.equal(pending?.status, 'pending_approval');
    assert.equal(pending?.required, 2);
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    assert.equal(receipt.status, 'success');
    assert.equal(await anvil.publicClient.getBalance({ address: recipient }), before + 2n * ETH);
    const state = await new BridgeClient(bridge()).getRequest(pending!.requestId);
    assert.equal(state.status, 'signed');
    assert.equal(state.txHash, hash);
    assert.deepEqual(state.approvedBy, ['bob', 'carol']);
  });

  test('above the approval tier with no approver: the ethers signer ends in ApprovalTimeout carrying the request id, which stays pending', async () => {
    let pendingId: string | undefined;
    const signer = await ApplianceSigner.create({ bridge: bridge(), keyId: keyOf('hot-2'), approvalTimeoutMs: 1500, onPending: (a) => (pendingId = a.requestId) }, provider());
    const nonce = await signer.getNonce('pending');
    await assert.rejects(signer.sendTransaction({ to: recipient, value: 3n * ETH }), (err: unknown) => {
      const e = found(err, ApprovalTimeout);
      assert.ok(e, String(err));
      assert.equal(e.requestId, pendingId);
      assert.equal(e.waitedMs, 1500);
      return true;
    });
    const state = await new BridgeClient(bridge()).getRequest(pendingId!);
    assert.equal(state.status, 'pending_approval');
    assert.equal(await signer.getNonce('pending'), nonce, 'nothing was broadcast');
  });

  test('typed data: the viem account and the ethers signer sign an allowlisted Order through the bridge; a domain off the allowlist is denied', async () => {
    const account = await applianceAccount({ bridge: bridge(), keyId: keyOf('hot-1') });
    const message = { maker: account.address, amount: 5n };
    const signature = await account.signTypedData({ domain: DESK_DOMAIN, types: orderTypes, primaryType: 'Order', message });
    assert.equal(await verifyTypedData({ address: account.address, domain: DESK_DOMAIN, types: orderTypes, primaryType: 'Order', message, signature }), true);

    const signer = await ApplianceSigner.create({ bridge: bridge(), keyId: keyOf('hot-1') });
    const viaEthers = await signer.signTypedData(DESK_DOMAIN, orderTypes, { maker: signer.address, amount: 6n });
    assert.equal(ethersVerifyTypedData(DESK_DOMAIN, orderTypes, { maker: signer.address, amount: 6n }, viaEthers), signer.address);

    const elsewhere = { ...DESK_DOMAIN, verifyingContract: stranger };
    await assert.rejects(account.signTypedData({ domain: elsewhere, types: orderTypes, primaryType: 'Order', message }), (err: unknown) => {
      assert.ok(err instanceof ApplianceDenied, String(err));
      assert.ok(err.hasCode('typed_domain_not_allowed'), JSON.stringify(err.reasons));
      return true;
    });
  });

  test('signMessage refuses by design in both adapters (blind messages are not signed)', async () => {
    const account = await applianceAccount({ bridge: bridge(), keyId: keyOf('hot-1'), address: String(dev.keys[0]!.address) });
    await assert.rejects(account.signMessage({ message: 'hello' }), BlindMessageRefused);
    await assert.rejects(walletFor(account).signMessage({ message: 'hello' }), (err: unknown) => found(err, BlindMessageRefused) !== undefined);
    const signer = await ApplianceSigner.create({ bridge: bridge(), keyId: keyOf('hot-1') });
    await assert.rejects(signer.signMessage('hello'), (err: unknown) => err instanceof BlindMessageRefused && err.kind === 'blind_message_refused');
  });

  test('a group that wants stamped requests: the adapter stamps with the requester key it is given and the transfer is mined; unstamped, it is denied', async () => {
    const keyId = keyOf('signed-1');
    const unstamped = await applianceAccount({ bridge: bridge(deskToken), keyId });
    const err = await walletFor(unstamped)
      .sendTransaction({ to: recipient, value: 1000n })
      .then(
        () => assert.fail('an unstamped request was signed'),
        (e: unknown) => e,
      );
    assert.ok(found(err, ApplianceDenied)?.hasCode('request_unsigned'), String(err));

    const stamped = await applianceAccount({ bridge: { ...bridge(deskToken), principal: desk }, keyId });
    const hash = await walletFor(stamped).sendTransaction({ to: recipient, value: 1000n });
    assert.equal((await anvil.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 })).status, 'success');
  });
});
