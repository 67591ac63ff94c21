// Issue 18 item 3: the appliance co-signs a 2-of-3 Safe. Through the bridge, the appliance process,
// SoftHSM2 and anvil: the Safe singleton and proxy factory from @safe-global/safe-smart-account are
// deployed, a Safe is created with three owners (the device's hot key, the device's cold key in a
// group of its own, and a recovery key the test holds), and:
// - a SafeTx sending 0.5 ETH to a whitelisted address is co-signed by the hot key, then by the cold
//   key after one approver (the same SafeTx again, so the Safe-nonce guard lets it pass; the cold
//   group asks an approver for every signature), and execTransaction is mined:
//   the recipient's balance changes; the digest the appliance signed is the Safe's own transaction hash;
// - a delegatecall, a transfer to a stranger inside the Safe call, an inner ERC-20 approve above the
//   token's approval cap, a second different SafeTx at the signed Safe nonce, and a SafeTx for a Safe
//   the policy does not list are each refused, and each refusal's audit entry records the decoded
//   inner call; every decision replays offline.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { parseEther, parseEventLogs, type Abi, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import type { CborMap } from '../../protocol/cbor.js';
import { replayDecisions } from '../../attestation/audit-replay.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { auditEntryOf, auditPayloadsOf, keyByLabel } from '../helpers/e2e-token.js';
import { approvalBody, CHAIN_ID, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { erc20Approve, safeSignatures, safeTxTypedData, ZERO_ADDRESS, type SafeTxFields } from '../helpers/safe-tx.js';

interface Artifact {
  abi: Abi;
  bytecode: Hex;
}
const require = createRequire(import.meta.url);
const artifact = (path: string): Artifact => require(`@safe-global/safe-smart-account/build/artifacts/contracts/${path}`) as Artifact;
const SAFE = artifact('Safe.sol/Safe.json');
const FACTORY = artifact('proxies/SafeProxyFactory.sol/SafeProxyFactory.json');

/** A token the policy names (the refusal happens before any chain is asked, so it need not exist). */
const TOKEN = '0x70ce70ce70ce70ce70ce70ce70ce70ce70ce70ce';
const TOKEN_CAP = 1000n;

let anvil: Anvil;
let dev: TestDevice;
let safe: Hex;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;
const recovery = privateKeyToAccount(generatePrivateKey());
let n = 0;

/** "hot" (the test policy, hold 0 s) and "cold" (the same rules), each listing the Safe; "hot" also a token with an approval cap. */
function safePolicy(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p, { holdSeconds: 0 });
  const hot = j.groups.hot!;
  hot.safes = [{ chainId: CHAIN_ID, address: safe }];
  hot.assets[`${CHAIN_ID}:erc20:${TOKEN}`] = { perTxMax: '100000', approvalCap: TOKEN_CAP.toString(), windows: [], approvalTiers: [] };
  // The cold key's group: the same native limits, but every signature waits for one approver.
  const coldNative = { ...structuredClone(hot.assets[`${CHAIN_ID}:native`]!), approvalTiers: [{ above: '0', required: 1 }] };
  j.groups.cold = { ...structuredClone(hot), assets: { [`${CHAIN_ID}:native`]: coldNative } };
  return j;
}

async function mined(hash: Hex) {
  const r = await anvil.publicClient.waitForTransactionReceipt({ hash });
  assert.equal(r.status, 'success');
  return r;
}

async function deploy(a: Artifact): Promise<Hex> {
  const hash = await anvil.funder.deployContract({ abi: a.abi, bytecode: a.bytecode, account: anvil.funder.account!, chain: anvil.funder.chain });
  return (await mined(hash)).contractAddress as Hex;
}

async function write(address: Hex, abi: Abi, functionName: string, args: unknown[]) {
  return mined(await anvil.funder.writeContract({ address, abi, functionName, args, account: anvil.funder.account!, chain: anvil.funder.chain }));
}

const read = (functionName: string, args: unknown[] = []) => anvil.publicClient.readContract({ address: safe, abi: SAFE.abi, functionName, args });

const signSafeTx = (label: string, f: SafeTxFields, at: Hex = safe) =>
  dev.request('POST', '/v1/sign/typed-data', dev.tokens.orchestrator, { keyId: keyByLabel(dev, label).keyId, typedData: safeTxTypedData(CHAIN_ID, at, f) }, { 'Idempotency-Key': `safe-${n++}` });
const codes = (r: { json: Record<string, unknown> }) => ((r.json.reasons ?? []) as { code: string }[]).map((x) => x.code);
const lower = (b: unknown) => '0x' + Buffer.from(b as Uint8Array).toString('hex');

/** The refusal's audit entry: a sign.typed-data denial read as a Safe transaction, with its decoded inner call. */
async function deniedEntry(r: { json: Record<string, unknown> }): Promise<{ entry: CborMap; safeTx: CborMap; inner: CborMap }> {
  const entry = await auditEntryOf(dev, Number(r.json.auditSeq));
  assert.deepEqual([entry.kind, entry.outcome, entry.classification, entry.result], ['sign.typed-data', 'deny', 'safe-tx', undefined]);
  const safeTx = entry.safeTx as CborMap;
  return { entry, safeTx, inner: safeTx.innerCall as CborMap };
}

after(async () => {
  await dev?.stop();
  await anvil?.stop();
});

describe('co-signing a 2-of-3 Safe on anvil', () => {
  before(async () => {
    anvil = await startAnvil();
    const singleton = await deploy(SAFE);
    const factory = await deploy(FACTORY);
    // The proxy is made before the device (its policy names the Safe) and set up once the device's keys exist.
    const created = await write(factory, FACTORY.abi, 'createProxyWithNonce', [singleton, '0x', 18n]);
    const [event] = parseEventLogs({ abi: FACTORY.abi, logs: created.logs, eventName: 'ProxyCreation' }) as unknown as { args: { proxy: Hex } }[];
    safe = event!.args.proxy;
    dev = await startTestDevice({
      keys: [
        { label: 'hot-1', group: 'hot' },
        { label: 'cold-1', group: 'cold' },
      ],
      policy: safePolicy,
    });
    const owners = [keyByLabel(dev, 'hot-1').address, keyByLabel(dev, 'cold-1').address, recovery.address];
    await write(safe, SAFE.abi, 'setup', [owners, 2n, ZERO_ADDRESS, '0x', ZERO_ADDRESS, ZERO_ADDRESS, 0n, ZERO_ADDRESS]);
    assert.deepEqual(
      ((await read('getOwners')) as string[]).map((a) => a.toLowerCase()),
      owners.map((a) => a.toLowerCase()),
    );
    assert.equal(await read('getThreshold'), 2n);
    await mined(await anvil.funder.sendTransaction({ to: safe, value: parseEther('5'), account: anvil.funder.account!, chain: anvil.funder.chain }));
    await whitelist(dev, recipient, 'hot');
    await whitelist(dev, recipient, 'cold');
  });

  test('the hot and cold keys co-sign a 0.5 ETH SafeTx to a whitelisted address; execTransaction is mined and the recipient is paid', async () => {
    const f = { to: recipient, value: parseEther('0.5'), nonce: 0 };
    const hot = await signSafeTx('hot-1', f);
    assert.equal(hot.status, 200, JSON.stringify(hot.json));
    const safeHash = await read('getTransactionHash', [recipient, parseEther('0.5'), '0x', 0, 0n, 0n, 0n, ZERO_ADDRESS, ZERO_ADDRESS, 0n]);
    assert.equal(hot.json.digest, safeHash, "the appliance signed the Safe's own transaction hash");
    // The second owner: the device's cold key signs the same SafeTx (an exact retry for the Safe-nonce
    // guard); its group asks one approver, who signs over the SafeTx's EIP-712 digest.
    const pending = await signSafeTx('cold-1', f);
    assert.equal(pending.status, 202, JSON.stringify(pending.json));
    assert.equal(pending.json.intentDigest, safeHash);
    const bob = dev.people.approvers[1]!;
    const cold = await dev.request('POST', `/v1/requests/${String(pending.json.requestId)}/approvals`, dev.tokens.approver, approvalBody(bob, dev.deviceId, String(pending.json.intentDigest)));
    assert.equal(cold.status, 200, JSON.stringify(cold.json));
    assert.deepEqual(cold.json.approvedBy, ['bob']);
    const signatures = safeSignatures([
      { owner: keyByLabel(dev, 'hot-1').address, signature: String(hot.json.signature) },
      { owner: keyByLabel(dev, 'cold-1').address, signature: String(cold.json.signature) },
    ]);
    const before = await anvil.publicClient.getBalance({ address: recipient });
    await write(safe, SAFE.abi, 'execTransaction', [recipient, parseEther('0.5'), '0x', 0, 0n, 0n, 0n, ZERO_ADDRESS, ZERO_ADDRESS, signatures]);
    assert.equal((await anvil.publicClient.getBalance({ address: recipient })) - before, parseEther('0.5'));
    assert.equal(await read('nonce'), 1n);

    const entry = await auditEntryOf(dev, Number(hot.json.auditSeq));
    assert.deepEqual([entry.outcome, entry.result, entry.classification], ['allow', 'signed', 'safe-tx']);
    const inner = (entry.safeTx as CborMap).innerCall as CborMap;
    assert.deepEqual([inner.kind, lower(inner.to), BigInt(inner.amount as number), inner.asset], ['evm-transfer', recipient.toLowerCase(), parseEther('0.5'), `${CHAIN_ID}:native`]);
    assert.deepEqual([lower((entry.safeTx as CborMap).safe), (entry.safeTx as CborMap).operation], [safe.toLowerCase(), 'call']);
    const reserve = entry.reserve as CborMap;
    assert.deepEqual([reserve.keyId, BigInt(reserve.amount as number)], [keyByLabel(dev, 'hot-1').keyId, parseEther('0.5')]);
  });

  test('a delegatecall is refused and audited with its inner call', async () => {
    const r = await signSafeTx('hot-1', { to: recipient, operation: 1, nonce: 1 });
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.deepEqual(codes(r), ['safe_delegatecall']);
    assert.equal(r.json.signature, undefined);
    const { safeTx, inner } = await deniedEntry(r);
    assert.equal(safeTx.operation, 'delegatecall');
    assert.equal(lower(inner.to), recipient.toLowerCase());
  });

  test('a transfer to a stranger inside the Safe call is refused and audited', async () => {
    const r = await signSafeTx('hot-1', { to: stranger, value: parseEther('0.5'), nonce: 1 });
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.deepEqual(codes(r), ['not_whitelisted']);
    const { inner } = await deniedEntry(r);
    assert.deepEqual([inner.kind, lower(inner.to), BigInt(inner.amount as number)], ['evm-transfer', stranger.toLowerCase(), parseEther('0.5')]);
  });

  test("an inner ERC-20 approve above the token's approval cap is refused and audited", async () => {
    const r = await signSafeTx('hot-1', { to: TOKEN, data: erc20Approve(recipient, TOKEN_CAP + 1n), nonce: 1 });
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.deepEqual(codes(r), ['approval_above_cap']);
    const { inner } = await deniedEntry(r);
    assert.deepEqual([inner.kind, lower(inner.to), lower(inner.contract), BigInt(inner.amount as number)], ['erc20-approve', recipient.toLowerCase(), TOKEN, TOKEN_CAP + 1n]);
  });

  test('a second, different SafeTx at the signed Safe nonce is refused and audited', async () => {
    const r = await signSafeTx('hot-1', { to: recipient, value: parseEther('1'), nonce: 0 });
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.deepEqual(codes(r), ['nonce_conflict']);
    const { safeTx, inner } = await deniedEntry(r);
    assert.equal(BigInt(safeTx.nonce as number), 0n);
    assert.equal(BigInt(inner.amount as number), parseEther('1'));
  });

  test('a SafeTx for a Safe the policy does not list is refused and audited; every decision replays offline', async () => {
    const r = await signSafeTx('hot-1', { to: recipient, value: 1n, nonce: 0 }, recovery.address);
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.deepEqual(codes(r), ['safe_not_allowed']);
    await deniedEntry(r);
    const report = replayDecisions(await auditPayloadsOf(dev));
    assert.deepEqual(report.mismatches, []);
    assert.ok(report.confirmed >= 7, `replay confirmed ${report.confirmed}`);
  });
});
