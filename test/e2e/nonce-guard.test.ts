// The nonce-conflict guard (DESIGN.md invariant 6) through SoftHSM2 and anvil: a different intent at
// a used nonce is denied; a 10% fee bump of the same intent replaces the original in anvil's pool and
// is mined, counted once against limits; a cancel (0 to self, higher fees) is signed and mined.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { parseEther, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { advanceDeviceTime, CHAIN_ID, startTestDevice, whitelist, type TestDevice } from '../helpers/test-device.js';

let anvil: Anvil;
let dev: TestDevice;
let keyId: string;
let from: Hex;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
let n = 0;

const GWEI = 1_000_000_000n;
function tx(nonce: number, opts: { to?: string; value?: bigint; maxFee?: bigint; tip?: bigint } = {}) {
  return {
    type: 'eip1559',
    chainId: CHAIN_ID,
    nonce,
    to: opts.to ?? recipient,
    value: (opts.value ?? 1000n).toString(),
    gasLimit: 21000,
    maxFeePerGas: (opts.maxFee ?? 20n * GWEI).toString(),
    maxPriorityFeePerGas: (opts.tip ?? 2n * GWEI).toString(),
  };
}
const sign = (t: unknown) => dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId, transaction: t }, { 'Idempotency-Key': `ng-${n++}` });
const send = (raw: unknown) => anvil.publicClient.sendRawTransaction({ serializedTransaction: String(raw) as Hex });
const mine = () => anvil.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
const codes = (r: { json: Record<string, unknown> }) => ((r.json.reasons ?? []) as { code: string }[]).map((x) => x.code);

describe('nonce-conflict guard on anvil', () => {
  before(async () => {
    anvil = await startAnvil();
    dev = await startTestDevice();
    keyId = String(dev.keys[0]?.keyId);
    from = String(dev.keys[0]?.address) as Hex;
    const h = await anvil.funder.sendTransaction({ to: from, value: parseEther('10'), account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    await whitelist(dev, recipient);
    await advanceDeviceTime(dev, 2); // past the test policy's 2 s whitelist hold, on the device's own clock
    await anvil.publicClient.request({ method: 'evm_setAutomine' as never, params: [false] as never });
  });
  after(async () => {
    await dev?.stop();
    await anvil?.stop();
  });

  test('invariant 6: a different intent at a used nonce is denied; a 10% fee bump replaces the original and is counted once', async () => {
    const nonce = await anvil.publicClient.getTransactionCount({ address: from });
    const original = await sign(tx(nonce));
    assert.equal(original.status, 200, JSON.stringify(original.json));
    const originalHash = await send(original.json.rawTransaction);

    const conflict = await sign(tx(nonce, { value: 999n }));
    assert.equal(conflict.status, 403);
    assert.deepEqual(codes(conflict), ['nonce_conflict']);

    const sameFees = await sign(tx(nonce));
    assert.equal(sameFees.status, 403, 'the same intent again needs higher fees');
    assert.deepEqual(codes(sameFees), ['fee_bump_too_small']);

    const nine = await sign(tx(nonce, { maxFee: 21n * GWEI, tip: (2n * GWEI * 109n) / 100n }));
    assert.equal(nine.status, 403, 'a 9% tip bump is not enough');

    const bump = await sign(tx(nonce, { maxFee: 22n * GWEI, tip: (2n * GWEI * 11n) / 10n }));
    assert.equal(bump.status, 200, JSON.stringify(bump.json));
    assert.equal(bump.json.intentDigest, original.json.intentDigest, 'a bump is the same intent');
    const bumpHash = await send(bump.json.rawTransaction);
    await mine();
    const receipt = await anvil.publicClient.getTransactionReceipt({ hash: bumpHash });
    assert.equal(receipt.status, 'success');
    await assert.rejects(anvil.publicClient.getTransactionReceipt({ hash: originalHash }), 'the original was dropped');

    const db = new Database(dev.paths.stateDb, { readonly: true });
    const rows = db.prepare('SELECT COUNT(*) AS c FROM spend WHERE request_id IN (?, ?)').get(String(original.json.requestId), String(bump.json.requestId)) as { c: number };
    db.close();
    assert.equal(rows.c, 1, 'the bumped transfer counts once against limits');
  });

  test('invariant 6: a cancel (0 to self at the same nonce, higher fees) is signed and mined; the original is dropped', async () => {
    const nonce = await anvil.publicClient.getTransactionCount({ address: from });
    const original = await sign(tx(nonce, { value: 5000n }));
    assert.equal(original.status, 200);
    const originalHash = await send(original.json.rawTransaction);

    const weak = await sign(tx(nonce, { to: from, value: 0n }));
    assert.equal(weak.status, 403);
    assert.deepEqual(codes(weak), ['fee_bump_too_small']);

    const cancel = await sign(tx(nonce, { to: from, value: 0n, maxFee: 30n * GWEI, tip: 3n * GWEI }));
    assert.equal(cancel.status, 200, JSON.stringify(cancel.json));
    const cancelHash = await send(cancel.json.rawTransaction);
    await mine();
    const receipt = await anvil.publicClient.getTransactionReceipt({ hash: cancelHash });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.to?.toLowerCase(), from.toLowerCase());
    await assert.rejects(anvil.publicClient.getTransactionReceipt({ hash: originalHash }));

    const after = await sign(tx(nonce, { value: 5000n, maxFee: 40n * GWEI, tip: 4n * GWEI }));
    assert.equal(after.status, 403, 'after a cancel, the original intent is not re-signed at that nonce');
    assert.deepEqual(codes(after), ['nonce_conflict']);
  });
});
