// End-to-end: orchestrator → bridge → appliance → firmware policy → SoftHSM2 → anvil. Every part is
// real: the token is SoftHSM2, the chain is anvil, and viem independently parses what was signed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { parseTransaction, recoverTransactionAddress, parseEther, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { CborMap } from '../../protocol/cbor.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { advanceDeviceTime, approvalBody, CHAIN_ID, ETH, startTestDevice, whitelist, type TestDevice } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

let anvil: Anvil;
let dev: TestDevice;
let keyId: string;
let from: Hex;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;

async function nextNonce(): Promise<number> {
  return anvil.publicClient.getTransactionCount({ address: from, blockTag: 'pending' });
}

async function eip1559(to: string, value: bigint, nonce?: number) {
  return {
    type: 'eip1559',
    chainId: CHAIN_ID,
    nonce: nonce ?? (await nextNonce()),
    to,
    value: value.toString(),
    gasLimit: 21000,
    maxFeePerGas: '20000000000',
    maxPriorityFeePerGas: '1000000000',
    data: '0x',
  };
}

let idem = 0;
const newKey = (tag: string) => `${tag}-${Date.now()}-${idem++}`;

async function sign(tx: unknown, key = newKey('t'), token = dev.tokens.orchestrator) {
  return dev.request('POST', '/v1/sign/evm-transaction', token, { keyId, transaction: tx }, { 'Idempotency-Key': key });
}

async function broadcast(raw: string) {
  const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: raw as Hex });
  return anvil.publicClient.waitForTransactionReceipt({ hash });
}

function auditEntries(): CborMap[] {
  const db = new Database(dev.paths.stateDb, { readonly: true });
  try {
    return (db.prepare('SELECT entry FROM audit ORDER BY seq').all() as { entry: Buffer }[]).map((r) => entryPayload(new Uint8Array(r.entry)));
  } finally {
    db.close();
  }
}

const hex = (b: unknown) => '0x' + Buffer.from(b as Uint8Array).toString('hex');

describe('signing path through real SoftHSM2 and anvil', () => {
  before(async () => {
    anvil = await startAnvil();
    dev = await startTestDevice({
      keys: [
        { label: 'hot-1', group: 'hot' },
        { label: 'hot-2', group: 'hot' },
      ],
    });
    keyId = String(dev.keys[0]?.keyId);
    from = String(dev.keys[0]?.address) as Hex;
    for (const k of dev.keys) {
      const h = await anvil.funder.sendTransaction({ to: String(k.address) as Hex, value: parseEther('100'), account: anvil.funder.account!, chain: anvil.funder.chain });
      await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    }
    await whitelist(dev, recipient);
    await advanceDeviceTime(dev, 2); // past the test policy's 2 s hold, on the device's own clock
  });

  after(async () => {
    await dev?.stop();
    await anvil?.stop();
  });

  test('a) whitelisted destination within limits is signed, mined, and recovered by viem', async () => {
    const before = await anvil.publicClient.getBalance({ address: recipient });
    const res = await sign(await eip1559(recipient, ETH / 2n));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.status, 'signed');
    const raw = String(res.json.rawTransaction) as Hex;
    const receipt = await broadcast(raw);
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.transactionHash, res.json.txHash);
    assert.equal(await anvil.publicClient.getBalance({ address: recipient }), before + ETH / 2n);
    assert.equal((await recoverTransactionAddress({ serializedTransaction: raw as never })).toLowerCase(), from.toLowerCase());
    const parsed = parseTransaction(raw);
    assert.equal(parsed.type, 'eip1559');
    assert.equal(parsed.to?.toLowerCase(), recipient.toLowerCase());
    assert.equal(parsed.value, ETH / 2n);
  });

  test('b) a destination not on the whitelist gets 403 naming the whitelist, nothing signed, audited; the nonce stays free', async () => {
    const nonce = await nextNonce();
    const res = await sign(await eip1559(stranger, 1000n, nonce));
    assert.equal(res.status, 403);
    assert.equal(res.json.status, 'denied');
    assert.equal(res.json.rawTransaction, undefined);
    const reasons = res.json.reasons as { rule: string; code: string }[];
    assert.ok(
      reasons.some((r) => r.rule === 'whitelist' && r.code === 'not_whitelisted'),
      JSON.stringify(reasons),
    );
    const entry = auditEntries().find((e) => e.requestId === res.json.requestId);
    assert.ok(entry, 'an audit entry exists for the denial');
    assert.equal(entry.outcome, 'deny');
    assert.equal(entry.txHash, undefined);
    const stored = await dev.request('GET', `/v1/requests/${String(res.json.requestId)}`, dev.tokens.orchestrator);
    assert.equal(stored.status, 403, JSON.stringify(stored.json));
    assert.equal(stored.json.status, 'denied');
    assert.equal(stored.json.rawTransaction, undefined, 'the stored answer holds no signature');
    // The denial recorded nothing against the nonce: a whitelisted transfer at the same nonce is
    // signed (the nonce guard would refuse a second intent at a nonce it had signed for) and mined.
    const next = await sign(await eip1559(recipient, 1000n, nonce));
    assert.equal(next.status, 200, JSON.stringify(next.json));
    assert.equal((await broadcast(String(next.json.rawTransaction))).status, 'success');
    assert.equal(await nextNonce(), nonce + 1);
  });

  test('c) an address in hold is denied until its hold has passed, then allowed', async () => {
    const fresh = privateKeyToAccount(generatePrivateKey()).address;
    const proposal = await whitelist(dev, fresh);
    assert.equal(proposal.status, 'accepted');
    const tx = await eip1559(fresh, 1000n);
    const held = await sign(tx);
    assert.equal(held.status, 403);
    assert.ok((held.json.reasons as { code: string }[]).some((r) => r.code === 'whitelist_hold'));
    await advanceDeviceTime(dev, 2); // the hold ends on the device's clock
    const ok = await sign(tx);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal((await broadcast(String(ok.json.rawTransaction))).status, 'success');
  });

  test('d) above the approval threshold: 202, one approval is not enough, repeats and self-approval do not count, then signed and mined', async () => {
    const requestId = newKey('big');
    // Requested by the token named "alice", who is also an approver.
    const pending = await sign(await eip1559(recipient, 2n * ETH), requestId, dev.tokens.alice);
    assert.equal(pending.status, 202, JSON.stringify(pending.json));
    assert.equal(pending.json.status, 'pending_approval');
    assert.equal(pending.json.required, 2);
    const digest = String(pending.json.intentDigest);
    const [alice, bob, carol] = dev.people.approvers;
    const approve = (body: unknown) => dev.request('POST', `/v1/requests/${requestId}/approvals`, dev.tokens.approver, body);

    const self = await approve(approvalBody(alice!, dev.deviceId, digest));
    assert.equal(self.status, 403);
    assert.match(String((problemFields(self.json) as { message: string }).message), /requester_cannot_approve/);

    const first = await approve(approvalBody(bob!, dev.deviceId, digest));
    assert.equal(first.status, 202);
    assert.deepEqual(first.json.approvedBy, ['bob']);

    const again = await approve(approvalBody(bob!, dev.deviceId, digest));
    assert.equal(again.status, 202, 'the same approver twice counts once');
    assert.deepEqual(again.json.approvedBy, ['bob']);

    const otherIntent = '0x' + 'ab'.repeat(32);
    const wrong = await approve(approvalBody(carol!, dev.deviceId, otherIntent));
    assert.equal(wrong.status, 403);
    assert.match(String((problemFields(wrong.json) as { message: string }).message), /bad_signature/);

    const expired = await approve(approvalBody(carol!, dev.deviceId, digest, Math.floor(Date.now() / 1000) - 1));
    assert.equal(expired.status, 403);
    assert.match(String((problemFields(expired.json) as { message: string }).message), /expired/);

    const otherDevice = await approve(approvalBody(carol!, 'hsm-0000000000000000', digest));
    assert.equal(otherDevice.status, 403, 'an approval for another device does not count');

    const second = await approve(approvalBody(carol!, dev.deviceId, digest));
    assert.equal(second.status, 200, JSON.stringify(second.json));
    assert.equal(second.json.status, 'signed');
    assert.deepEqual(second.json.approvedBy, ['bob', 'carol']);
    const receipt = await broadcast(String(second.json.rawTransaction));
    assert.equal(receipt.status, 'success');

    const state = await dev.request('GET', `/v1/requests/${requestId}`, dev.tokens.alice); // alice's own request
    assert.equal(state.status, 200);
    assert.equal(state.json.txHash, second.json.txHash);
  });

  test('e) the rolling-window limit denies the transfer that would exceed it', async () => {
    // Key hot-2 has its own window. The test policy allows 50 ETH per hour; 1 ETH transfers need no approval.
    const k2 = String(dev.keys[1]?.keyId);
    const a2 = String(dev.keys[1]?.address) as Hex;
    let nonce = await anvil.publicClient.getTransactionCount({ address: a2, blockTag: 'pending' });
    const send = (value: bigint) =>
      dev.request(
        'POST',
        '/v1/sign/evm-transaction',
        dev.tokens.orchestrator,
        {
          keyId: k2,
          transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce, to: recipient, value: value.toString(), gasLimit: 21000, maxFeePerGas: '20000000000', maxPriorityFeePerGas: '1000000000' },
        },
        { 'Idempotency-Key': newKey('win') },
      );
    let signed = 0n;
    while (signed + ETH <= 50n * ETH) {
      const r = await send(ETH);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      signed += ETH;
      nonce++;
    }
    const over = await send(ETH);
    assert.equal(over.status, 403);
    const reasons = over.json.reasons as { rule: string; code: string }[];
    assert.ok(
      reasons.some((r) => r.rule === 'velocity-window' && r.code === 'window_amount'),
      JSON.stringify(reasons),
    );
  });

  test('f) a legacy EIP-155 transaction is signed and mined', async () => {
    const res = await sign({ type: 'legacy', chainId: CHAIN_ID, nonce: await nextNonce(), to: recipient, value: '12345', gasLimit: 21000, gasPrice: '20000000000' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const raw = String(res.json.rawTransaction) as Hex;
    const parsed = parseTransaction(raw);
    assert.equal(parsed.type, 'legacy');
    assert.equal(parsed.chainId, CHAIN_ID);
    assert.equal((await recoverTransactionAddress({ serializedTransaction: raw as never })).toLowerCase(), from.toLowerCase());
    assert.equal((await broadcast(raw)).status, 'success');
  });

  test('g) / invariant 4: the same Idempotency-Key twice gives an identical response, one signature and one reservation', async () => {
    const key = newKey('idem');
    const tx = await eip1559(recipient, 777n);
    const [r1, r2] = await Promise.all([sign(tx, key), sign(tx, key)]);
    const r3 = await sign(tx, key);
    assert.equal(r1.status, 200);
    assert.deepEqual(r2, r1);
    assert.deepEqual(r3, r1);
    const entries = auditEntries().filter((e) => e.requestId === key);
    assert.equal(entries.length, 1, 'one audit entry, so one signature');
    const db = new Database(dev.paths.stateDb, { readonly: true });
    const n = (db.prepare('SELECT COUNT(*) AS n FROM spend WHERE request_id = ?').get(key) as { n: number }).n;
    db.close();
    assert.equal(n, 1, 'one spend reservation');
    const reuse = await sign(await eip1559(recipient, 778n), key);
    assert.equal(reuse.status, 422, 'the same key for a different request is 422 (IETF Idempotency-Key draft)');
    assert.equal(problemFields(reuse.json)?.details?.code, 'idempotency_key_reused');
    assert.equal((await broadcast(String(r1.json.rawTransaction))).status, 'success');
  });

  test('invariant 1: every signed transaction has an allow decision of the active policy over its intent', async () => {
    const policy = await dev.request('GET', '/v1/policy', dev.tokens.auditor);
    const entries = auditEntries();
    const signedEntries = entries.filter((e) => e.txHash !== undefined);
    assert.ok(signedEntries.length >= 5);
    for (const e of signedEntries) {
      assert.equal(e.outcome, 'allow');
      assert.equal(hex(e.policyHash), policy.json.hash);
      assert.ok(e.intentDigest instanceof Uint8Array && e.intentDigest.length === 32);
    }
    // Denied or pending requests carry no signature.
    for (const e of entries.filter((x) => x.outcome === 'deny' || x.outcome === 'needs_approval')) assert.equal(e.txHash, undefined);
  });

  test('invariant 2: a released signature has its audit entry on disk, even if the appliance is killed at once', async () => {
    const res = await sign(await eip1559(recipient, 4242n));
    assert.equal(res.status, 200);
    await dev.restartAppliance('SIGKILL');
    const entry = auditEntries().find((e) => e.seq === res.json.auditSeq);
    assert.ok(entry, 'the entry survived SIGKILL');
    assert.equal(hex(entry.txHash), res.json.txHash);
    const again = await sign(await eip1559(recipient, 4242n), String(res.json.requestId));
    assert.deepEqual(again.json, res.json, 'after restart, the stored response is returned, not a new signature');
    assert.equal((await broadcast(String(res.json.rawTransaction))).status, 'success');
  });
});
