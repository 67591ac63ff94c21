// Issue 11 item 11 end to end: with the release now conditional on recovering the signing key, an
// honest token's signatures still leave the appliance and recover to the key: viem recovers the
// sender of each transaction type, and anvil, which recovers the sender itself, mines them from the
// key's address. (The refusals are in test/firmware-policy/evm/secp256k1-signature.test.ts and
// test/appliance/signing-flow-recovery.test.ts: a real token cannot be made to produce them.)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseEther, recoverTransactionAddress, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { CHAIN_ID, startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';

let anvil: Anvil;
let dev: TestDevice;
let keyId: string;
let from: Hex;
const recipient = privateKeyToAccount(generatePrivateKey()).address;

describe('released signatures recover to the signing key (issue 11 item 11)', () => {
  before(async () => {
    anvil = await startAnvil();
    dev = await startTestDevice({ policy: (p) => testPolicyJson(p, { holdSeconds: 0 }) });
    keyId = String(dev.keys[0]?.keyId);
    from = String(dev.keys[0]?.address) as Hex;
    const h = await anvil.funder.sendTransaction({ to: from, value: parseEther('10'), account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    await whitelist(dev, recipient);
  });

  after(async () => {
    await dev?.stop();
    await anvil?.stop();
  });

  test('eip1559, eip2930 and legacy transactions: recovered by viem to the key, mined by anvil from its address', async () => {
    const types = ['eip1559', 'eip2930', 'legacy', 'eip1559', 'eip1559', 'legacy'] as const;
    for (const [i, type] of types.entries()) {
      const nonce = await anvil.publicClient.getTransactionCount({ address: from, blockTag: 'pending' });
      const fees = type === 'eip1559' ? { maxFeePerGas: '20000000000', maxPriorityFeePerGas: '1000000000' } : { gasPrice: '20000000000' };
      const tx = { type, chainId: CHAIN_ID, nonce, to: recipient, value: String(1000 + i), gasLimit: 21000, data: '0x', ...fees };
      const res = await dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId, transaction: tx }, { 'Idempotency-Key': `recover-${Date.now()}-${i}` });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      const raw = String(res.json.rawTransaction) as Hex;
      assert.equal((await recoverTransactionAddress({ serializedTransaction: raw as never })).toLowerCase(), from.toLowerCase(), `${type} #${i}`);
      const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: raw });
      const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash });
      assert.equal(receipt.status, 'success');
      assert.equal(receipt.from.toLowerCase(), from.toLowerCase());
    }
  });
});
