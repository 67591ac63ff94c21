// The broadcaster's and tracker's view of several endpoints, through fault-injecting proxies in front
// of one real anvil: a swallowed send is invisible to the chain, a null receipt or a disagreeing block
// hash breaks the quorum, and two honest endpoints out of three decide.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletClient, http, keccak256, parseEther, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startAnvil, anvilChain, type Anvil } from '../helpers/anvil.js';
import { startRpcProxy, type RpcProxy } from '../../reliability/rpc-proxy.js';
import { askAll, confirmedNonce, endpoints, sendToAll } from '../../orchestrator/endpoints.js';
import { decide } from '../../orchestrator/rpc-quorum.js';

// anvil's second well-known development account (a public test key).
const SENDER = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const TO = '0x' + '42'.repeat(20);

let anvil: Anvil;
let proxies: RpcProxy[];
before(async () => {
  anvil = await startAnvil();
  await anvil.publicClient.request({ method: 'evm_setAutomine' as never, params: [false] as never });
  proxies = [await startRpcProxy(anvil.rpcUrl), await startRpcProxy(anvil.rpcUrl), await startRpcProxy(anvil.rpcUrl)];
});
after(async () => {
  for (const p of proxies ?? []) await p.stop();
  await anvil?.stop();
});

const wallet = () => createWalletClient({ chain: { ...anvilChain, rpcUrls: { default: { http: [anvil.rpcUrl] } } }, transport: http(anvil.rpcUrl), account: SENDER });
async function signed(nonce: number): Promise<Hex> {
  return wallet().signTransaction({
    to: TO as Hex,
    value: parseEther('0.001'),
    nonce,
    gas: 21_000n,
    maxFeePerGas: 10n ** 10n,
    maxPriorityFeePerGas: 10n ** 9n,
    chain: wallet().chain,
    account: SENDER,
  });
}
const mine = () => anvil.publicClient.request({ method: 'evm_mine' as never });
const reset = () => proxies.forEach((p) => Object.assign(p.faults, { dropSends: false, nullReceipts: false, disagree: false, down: false }));

test('a transaction every endpoint swallows never reaches the chain: absent by quorum after a block (DROPPED)', async () => {
  reset();
  proxies.forEach((p) => (p.faults.dropSends = true));
  const eps = endpoints(proxies.map((p) => p.url));
  const nonce = Number(await confirmedNonce(eps, SENDER.address));
  const raw = await signed(nonce);
  const sent = await sendToAll(eps, raw);
  assert.equal(sent.accepted, 3, 'each endpoint claims to have taken it');
  await mine();
  const hash = keccak256(raw);
  assert.deepEqual(decide(await askAll(eps, hash)), { kind: 'absent', votes: 3 });
  assert.equal(await confirmedNonce(eps, SENDER.address), BigInt(nonce), 'the nonce was not used');
});

test('in the mempool it is pending; once mined, two honest endpoints of three decide inclusion', async () => {
  reset();
  const eps = endpoints(proxies.map((p) => p.url));
  const nonce = Number(await confirmedNonce(eps, SENDER.address));
  const raw = await signed(nonce);
  proxies[0]!.faults.dropSends = true;
  const sent = await sendToAll(eps, raw);
  assert.equal(sent.accepted, 3);
  const hash = keccak256(raw);
  assert.equal(decide(await askAll(eps, hash)).kind, 'pending');
  await mine();
  proxies[2]!.faults.nullReceipts = true;
  const verdict = decide(await askAll(eps, hash));
  assert.equal(verdict.kind, 'included');
  assert.equal(verdict.kind === 'included' && verdict.votes, 2);
  assert.equal(verdict.kind === 'included' && verdict.status, 'success');
});

test('endpoints that disagree about the block, or are down, give no quorum (RPC_INCONSISTENT)', async () => {
  reset();
  const eps = endpoints(proxies.map((p) => p.url));
  const nonce = Number(await confirmedNonce(eps, SENDER.address));
  const raw = await signed(nonce);
  await sendToAll(eps, raw);
  await mine();
  const hash = keccak256(raw);
  proxies[1]!.faults.disagree = true;
  proxies[2]!.faults.down = true;
  const answers = await askAll(eps, hash);
  assert.deepEqual(
    answers.map((a) => a.kind),
    ['included', 'included', 'error'],
  );
  assert.equal(decide(answers).kind, 'inconsistent');
  assert.ok((proxies[1]!.counts.get('eth_getTransactionReceipt') ?? 0) > 0, 'the proxy counts what it served');
  proxies[1]!.faults.disagree = false;
  assert.equal(decide(await askAll(eps, hash)).kind, 'included', 'with the disagreement gone, the quorum returns');
});

test('a send every endpoint refuses is reported with each reason, not thrown', async () => {
  reset();
  proxies.forEach((p) => (p.faults.down = true));
  const eps = endpoints(proxies.map((p) => p.url));
  const r = await sendToAll(eps, await signed(0));
  assert.equal(r.accepted, 0);
  assert.equal(Object.keys(r.refused).length, 3);
  assert.equal(await confirmedNonce(eps, SENDER.address), null, 'no endpoint answers: no nonce by quorum');
});
