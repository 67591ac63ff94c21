// Issue 11, items 3 and 4, through SoftHSM2, the appliance process, the bridge and anvil.
// Item 3: an allowance is spending capability. With the token's 100 per hour window used up, approvals
// to a whitelisted spender are refused, so the spender cannot pull the tokens on to a stranger; in a
// fresh window, approvals of 50 are signed until the window is full (the third is refused), and the
// stranger ends with exactly the window; increaseAllowance counts too, and is capped on the total;
// a revoke still works (it lowers no bound: it may never execute); the spender's outstanding allowance is sealed state (it survives a restart
// and caps increaseAllowance on its own; an edited row makes the device refuse); every decision
// replays offline, the allowance included.
// Item 4: native value sent with a call to an allowlisted contract needs the contract on the
// whitelist and counts against the native window; a call with value 0 works on the allowlist alone.
import { describe, test, before, after } from 'node:test';
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { encodeFunctionData, getContractAddress, toFunctionSelector, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { splitCborSeq } from '../../attestation/cbor-seq.js';
import { replayDecisions } from '../../attestation/audit-replay.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { compileFixture, type Compiled } from '../helpers/solidity.js';
import { auditEntryViaBridge, keyByLabel, pullAsSpender } from '../helpers/e2e-token.js';
import { CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

const GWEI = 1_000_000_000n;
const T = ETH; // one token, 18 decimals
let anvil: Anvil;
let dev: TestDevice;
let token: Compiled;
let jar: Compiled;
let tokenAddress: Hex;
let jarAddress: Hex;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;
const spenderAccount = privateKeyToAccount(generatePrivateKey());
const spender = spenderAccount.address;
let n = 0;

function policy(p: TestPeople): PolicyJson {
  // Native: 1 ETH per hour (and 2-of-3 above 1 ETH, from the test policy); the token: 100 per hour.
  const j = testPolicyJson(p, { windowMax: ETH, holdSeconds: 0 });
  j.groups.hot!.assets[`${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`] = {
    perTxMax: (100n * T).toString(),
    windows: [{ seconds: 3600, maxAmount: (100n * T).toString(), maxCount: 100 }],
    approvalTiers: [],
    decimals: 18,
    approvalCap: (100n * T).toString(),
  };
  j.groups.hot!.contracts = [{ chainId: CHAIN_ID, address: jarAddress, selectors: [toFunctionSelector('ping()')] }];
  // A group whose token window is wide (1000 per hour) but whose approval cap is 100: the cap on the
  // spender's outstanding allowance binds on its own there.
  j.groups.warm = {
    chains: [CHAIN_ID],
    whitelistRequired: true,
    holdSeconds: 0,
    assets: {
      [`${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`]: {
        perTxMax: (100n * T).toString(),
        windows: [{ seconds: 3600, maxAmount: (1000n * T).toString(), maxCount: 100 }],
        approvalTiers: [],
        decimals: 18,
        approvalCap: (100n * T).toString(),
      },
    },
  };
  return j;
}

const key = (label: string) => keyByLabel(dev, label);

async function sign(label: string, to: string, data: Hex, value = 0n) {
  const k = key(label);
  const nonce = await anvil.publicClient.getTransactionCount({ address: k.address, blockTag: 'pending' });
  return dev.request(
    'POST',
    '/v1/sign/evm-transaction',
    dev.tokens.orchestrator,
    {
      keyId: k.keyId,
      transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce, to, value: value.toString(), gasLimit: 100_000, maxFeePerGas: (20n * GWEI).toString(), maxPriorityFeePerGas: GWEI.toString(), data },
    },
    { 'Idempotency-Key': `allow-${n++}` },
  );
}

async function mine(raw: unknown) {
  const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: String(raw) as Hex });
  const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
}

const codes = (r: { json: Record<string, unknown> }) => ((r.json.reasons ?? []) as { code: string }[]).map((x) => x.code);
const call = (functionName: string, args: unknown[]) => encodeFunctionData({ abi: token.abi, functionName, args });
const balanceOf = async (who: string) => (await anvil.publicClient.readContract({ address: tokenAddress, abi: token.abi, functionName: 'balanceOf', args: [who] })) as bigint;
const allowanceOf = async (owner: string) => (await anvil.publicClient.readContract({ address: tokenAddress, abi: token.abi, functionName: 'allowance', args: [owner, spender] })) as bigint;

/** The spender (a wallet of its own on anvil) pulls `amount` from `owner` to the stranger; true when mined successfully. */
const pull = (owner: string, amount: bigint) => pullAsSpender(anvil, { abi: token.abi, address: tokenAddress }, spenderAccount, owner, stranger, amount);

/** The audit entry at `seq`, decoded (read through the bridge as an auditor). */
const auditEntry = (seq: unknown) => auditEntryViaBridge(dev, seq);

after(async () => {
  await dev?.stop();
  await anvil?.stop();
});

before(async () => {
  token = compileFixture('TestToken.sol', 'TestToken');
  jar = compileFixture('TipJar.sol', 'TipJar');
  anvil = await startAnvil();
  const funder = anvil.funder.account!;
  const chain = anvil.funder.chain;
  const nonce = BigInt(await anvil.publicClient.getTransactionCount({ address: funder.address }));
  tokenAddress = getContractAddress({ from: funder.address, nonce });
  jarAddress = getContractAddress({ from: funder.address, nonce: nonce + 1n });
  const deployed = [
    await anvil.funder.deployContract({ abi: token.abi, bytecode: token.bytecode, args: [funder.address, 10_000n * T], account: funder, chain }),
    await anvil.funder.deployContract({ abi: jar.abi, bytecode: jar.bytecode, account: funder, chain }),
  ];
  for (const h of deployed) await anvil.publicClient.waitForTransactionReceipt({ hash: h });
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

describe('item 3: an allowance uses up the token window', () => {
  test("the issue's attack: with the transfer window exhausted, three approvals of 50 are refused (window_amount, audited) and the spender pulls nothing", async () => {
    const owner = key('hot-1').address;
    const spent = await sign('hot-1', tokenAddress, call('transfer', [recipient, 100n * T]));
    assert.equal(spent.status, 200, JSON.stringify(spent.json));
    await mine(spent.json.rawTransaction);
    for (let i = 0; i < 3; i++) {
      const r = await sign('hot-1', tokenAddress, call('approve', [spender, 50n * T]));
      assert.equal(r.status, 403, `approval ${i + 1} was signed: ${JSON.stringify(r.json)}`);
      assert.deepEqual(codes(r), ['window_amount']);
      const entry = await auditEntry(r.json.auditSeq);
      assert.equal(entry.outcome, 'deny');
      assert.equal(entry.requestId, r.json.requestId);
      assert.deepEqual(
        ((entry.reasons ?? []) as { code: string }[]).map((x) => x.code),
        ['window_amount'],
      );
    }
    assert.equal(await allowanceOf(owner), 0n);
    assert.equal(await pull(owner, 50n * T), false, 'transferFrom without an allowance reverts');
    assert.equal(await balanceOf(stranger), 0n);
  });

  test('in a fresh window, approvals of 50 pulled on to a stranger stop at the window: the third is refused, the stranger holds 100', async () => {
    const owner = key('hot-2').address;
    const results: number[] = [];
    let refused: { json: Record<string, unknown> } | undefined;
    for (let i = 0; i < 3; i++) {
      const r = await sign('hot-2', tokenAddress, call('approve', [spender, 50n * T]));
      results.push(r.status);
      if (r.status !== 200) {
        refused = r;
        continue;
      }
      await mine(r.json.rawTransaction);
      assert.equal(await pull(owner, 50n * T), true, 'the spender pulls what was approved');
    }
    assert.deepEqual(results, [200, 200, 403]);
    assert.deepEqual(codes(refused!), ['window_amount']);
    const entry = await auditEntry(refused!.json.auditSeq);
    assert.equal(entry.outcome, 'deny');
    assert.equal(await balanceOf(stranger), 100n * T, 'capability granted equals the 100 per hour window');
    assert.equal(await pull(owner, 50n * T), false);
    // A revoke grants nothing: it is signed with the window full, and reserves nothing.
    const revoke = await sign('hot-2', tokenAddress, call('approve', [spender, 0n]));
    assert.equal(revoke.status, 200, JSON.stringify(revoke.json));
    await mine(revoke.json.rawTransaction);
    const revoked = await auditEntry(revoke.json.auditSeq);
    assert.equal(revoked.reserve, null);
    // The bound is not lowered: the device cannot see that the revoke executed (it could have been
    // cancelled at its nonce), so the spender may still hold the last 50.
    assert.equal(String((revoked.allowance as Record<string, unknown>).amount), (50n * T).toString());
  });

  test("increaseAllowance is counted against the window and capped on the spender's total", async () => {
    const a = await sign('hot-3', tokenAddress, call('increaseAllowance', [spender, 40n * T]));
    assert.equal(a.status, 200, JSON.stringify(a.json));
    await mine(a.json.rawTransaction);
    const b = await sign('hot-3', tokenAddress, call('increaseAllowance', [spender, 40n * T]));
    assert.equal(b.status, 200, JSON.stringify(b.json));
    await mine(b.json.rawTransaction);
    assert.equal(await allowanceOf(key('hot-3').address), 80n * T);
    const entry = await auditEntry(b.json.auditSeq);
    assert.equal(String((entry.allowance as Record<string, unknown>).amount), (80n * T).toString(), 'the audit entry records the outstanding allowance');
    const transfer = await sign('hot-3', tokenAddress, call('transfer', [recipient, 30n * T]));
    assert.deepEqual(codes(transfer), ['window_amount'], '80 granted + 30 moved is above the 100 per hour window');
    const more = await sign('hot-3', tokenAddress, call('increaseAllowance', [spender, 30n * T]));
    assert.deepEqual(codes(more), ['allowance_total_above_cap', 'window_amount']);
  });

  test('the outstanding allowance is sealed state: after a restart it still caps increaseAllowance where the window would not; approve sets it', async () => {
    const a = await sign('warm-1', tokenAddress, call('increaseAllowance', [spender, 60n * T]));
    assert.equal(a.status, 200, JSON.stringify(a.json));
    await mine(a.json.rawTransaction);
    await dev.restartAppliance();
    const over = await sign('warm-1', tokenAddress, call('increaseAllowance', [spender, 50n * T]));
    assert.equal(over.status, 403, JSON.stringify(over.json));
    assert.deepEqual(codes(over), ['allowance_total_above_cap'], '60 outstanding + 50 is above the cap of 100; 110 is within the 1000 window');
    const set = await sign('warm-1', tokenAddress, call('approve', [spender, 100n * T]));
    assert.equal(set.status, 200, JSON.stringify(set.json));
    await mine(set.json.rawTransaction);
    assert.equal(await allowanceOf(key('warm-1').address), 100n * T);
  });
});

describe('item 4: native value to an allowlisted contract', () => {
  const ping = encodeFunctionData({ abi: [{ type: 'function', name: 'ping', inputs: [], outputs: [], stateMutability: 'payable' }], functionName: 'ping' });
  const calls = async () => (await anvil.publicClient.readContract({ address: jarAddress, abi: jar.abi, functionName: 'calls' })) as bigint;

  test('value to the allowlisted contract off the whitelist is refused; value 0 is signed; once whitelisted the value counts against the native window', async () => {
    const paid = await sign('hot-1', jarAddress, ping, (6n * ETH) / 10n);
    assert.equal(paid.status, 403, JSON.stringify(paid.json));
    assert.deepEqual(codes(paid), ['not_whitelisted']);
    assert.equal((await auditEntry(paid.json.auditSeq)).outcome, 'deny');
    const free = await sign('hot-1', jarAddress, ping);
    assert.equal(free.status, 200, JSON.stringify(free.json));
    await mine(free.json.rawTransaction);
    assert.equal(await calls(), 1n);

    await whitelist(dev, jarAddress);
    const first = await sign('hot-1', jarAddress, ping, (6n * ETH) / 10n);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    await mine(first.json.rawTransaction);
    assert.equal(await anvil.publicClient.getBalance({ address: jarAddress }), (6n * ETH) / 10n);
    const second = await sign('hot-1', jarAddress, ping, (6n * ETH) / 10n);
    assert.deepEqual(codes(second), ['window_amount'], '0.6 + 0.6 ETH is above the 1 ETH per hour native window');
  });
});

test('every decision replays offline from its audit entry, allowances included', async () => {
  const res = await dev.app.request('/v1/audit/export', { headers: { Authorization: `Bearer ${dev.tokens.auditor}` } });
  assert.equal(res.status, 200);
  const payloads = splitCborSeq(new Uint8Array(await res.arrayBuffer())).map((e) => entryPayload(new Uint8Array(e)));
  assert.ok(
    payloads.some((p) => p.allowance !== undefined),
    'some entries record an allowance',
  );
  const report = replayDecisions(payloads);
  assert.ok(report.decisions >= 10);
  assert.deepEqual(report.mismatches, []);
});

test('an edited allowance row is found at boot and the device refuses', async () => {
  await dev.appliance.stop();
  const db = new Database(dev.paths.stateDb);
  try {
    assert.ok(db.prepare("UPDATE allowances SET amount = '0'").run().changes >= 1);
  } finally {
    db.close();
  }
  await dev.restartAppliance();
  const r = await sign('warm-1', tokenAddress, call('increaseAllowance', [spender, 1n]));
  assert.equal(r.status, 403, JSON.stringify(r.json));
  const err = problemFields(r.json) as { code: string; details: { code: string; findings: string[] } };
  assert.equal(err.details.code, 'state_tampered');
  assert.ok(
    err.details.findings.some((f) => /allowances row .*MAC does not match/.test(f)),
    JSON.stringify(err.details.findings),
  );
});
