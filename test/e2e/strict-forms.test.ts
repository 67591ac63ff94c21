// Issue 11, item 13: strict forms at the edge. Through the real bridge, the appliance process and its
// SoftHSM2 token: a mixed-case address whose EIP-55 checksum is wrong is refused (400 bad_checksum),
// and so is a quantity written with leading zeros (400 non_canonical), in every route that takes
// them, before anything reaches the appliance. All-lower-case and all-upper-case addresses carry no
// checksum (EIP-55) and still pass, as does a correct checksum.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestDevice, testPolicyJson, CHAIN_ID, type TestDevice } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

let dev: TestDevice;

// EIP-55's first example, and the same address with one letter's case flipped.
const GOOD = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const BAD = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD';

const tx = (over: Record<string, unknown> = {}) => ({
  type: 'eip1559',
  chainId: CHAIN_ID,
  nonce: 0,
  to: GOOD,
  value: '1000',
  gasLimit: 21000,
  maxFeePerGas: '20000000000',
  maxPriorityFeePerGas: '1000000000',
  ...over,
});

async function auditHead(): Promise<number> {
  return Number((await dev.client.call('health')).auditHeadSeq);
}

let idem = 0;
const sign = (t: Record<string, unknown>) =>
  dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId: dev.keys[0]!.keyId, transaction: t }, { 'Idempotency-Key': `forms-${idem++}` });

const errorOf = (r: { json: Record<string, unknown> }) => problemFields(r.json) as { code: string; details?: { field?: string; auditSeq?: number } } | undefined;

describe('issue 11 item 13: strict forms at the edge', () => {
  before(async () => {
    dev = await startTestDevice();
  });
  after(async () => {
    await dev?.stop();
  });

  test('a mixed-case address with a wrong EIP-55 checksum is refused with 400 bad_checksum, on every route', async () => {
    const head = await auditHead();
    const refusals = [
      await sign(tx({ to: BAD })),
      await sign(tx({ accessList: [{ address: BAD, storageKeys: [] }] })),
      await dev.request('POST', '/v1/whitelist/proposals', dev.tokens.admin, { group: 'hot', chainId: CHAIN_ID, address: BAD }),
      await dev.request('DELETE', `/v1/whitelist/${CHAIN_ID}/${BAD}`, dev.tokens.admin),
      await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: withContract(BAD) }),
    ];
    for (const r of refusals) {
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(errorOf(r)?.code, 'bad_checksum');
    }
    assert.deepEqual(
      refusals.map((r) => errorOf(r)?.details?.field),
      ['transaction.to', 'transaction.accessList[0].address', 'address', 'address', 'groups.hot.contracts[0].address'],
    );
    assert.equal(await auditHead(), head, 'nothing reached the appliance');
  });

  test('lower case, upper case and a correct checksum pass the bridge and reach the appliance', async () => {
    for (const to of [GOOD, GOOD.toLowerCase(), '0x' + GOOD.slice(2).toUpperCase()]) {
      const head = await auditHead();
      const r = await sign(tx({ to }));
      // Not whitelisted: the appliance denies it and logs the denial, which shows the bridge let it through.
      assert.equal(r.status, 403, JSON.stringify(r.json));
      assert.equal(r.json.status, 'denied');
      assert.equal(await auditHead(), head + 1);
    }
    const proposed = await dev.request('POST', '/v1/whitelist/proposals', dev.tokens.admin, { group: 'hot', chainId: CHAIN_ID, address: '0x' + GOOD.slice(2).toUpperCase() });
    assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
    assert.equal(proposed.json.address, GOOD); // the same 20 bytes, shown with their checksum
  });

  test('a quantity with leading zeros ("0x00ff", "007") is refused with 400 non_canonical, naming the field', async () => {
    const head = await auditHead();
    const cases: [Record<string, unknown>, string][] = [
      [{ value: '0x00ff' }, 'transaction.value'],
      [{ nonce: '0x01' }, 'transaction.nonce'],
      [{ chainId: '0x07a69' }, 'transaction.chainId'],
      [{ gasLimit: '021000' }, 'transaction.gasLimit'],
      [{ maxFeePerGas: '0x0' + (20n * 10n ** 9n).toString(16) }, 'transaction.maxFeePerGas'],
    ];
    for (const [over, field] of cases) {
      const r = await sign(tx(over));
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(errorOf(r)?.code, 'non_canonical');
      assert.equal(errorOf(r)?.details?.field, field);
    }
    const wl = await dev.request('POST', '/v1/whitelist/proposals', dev.tokens.admin, { group: 'hot', chainId: '0x07a69', address: GOOD });
    assert.equal(wl.status, 400);
    assert.equal(errorOf(wl)?.code, 'non_canonical');
    const del = await dev.request('DELETE', `/v1/whitelist/0${CHAIN_ID}/${GOOD}`, dev.tokens.admin);
    assert.equal(del.status, 400);
    assert.equal(errorOf(del)?.code, 'non_canonical');
    assert.equal(await auditHead(), head, 'nothing reached the appliance');
    // The canonical spellings of the same values pass: 0x0 is zero, 0xff is 255.
    const ok = await sign(tx({ value: '0xff', nonce: '0x0', chainId: '0x7a69' }));
    assert.equal(ok.status, 403);
    assert.equal(ok.json.status, 'denied');
  });

  test('leading zeros are refused in query parameters and in typed-data integers too', async () => {
    const page = await dev.request('GET', '/v1/audit?fromSeq=01&limit=10', dev.tokens.auditor);
    assert.equal(page.status, 400, JSON.stringify(page.json));
    assert.equal(errorOf(page)?.code, 'non_canonical');
    assert.equal(errorOf(page)?.details?.field, 'fromSeq');
    // EIP-712 integers are read by the appliance (the bridge passes typed data through): refused there,
    // typed and audited, with nothing signed.
    const typedData = {
      types: { EIP712Domain: [{ name: 'chainId', type: 'uint256' }], Mail: [{ name: 'a', type: 'uint256' }] },
      primaryType: 'Mail',
      domain: { chainId: CHAIN_ID },
      message: { a: '0x00ff' },
    };
    const r = await dev.request('POST', '/v1/sign/typed-data', dev.tokens.orchestrator, { keyId: String(dev.keys[0]?.keyId), typedData }, { 'Idempotency-Key': `typed-zeros-${Date.now()}` });
    assert.equal(r.status, 400, JSON.stringify(r.json));
    assert.equal(errorOf(r)?.code, 'bad_request');
    assert.equal(errorOf(r)?.details?.field, 'message.a');
    assert.equal(typeof errorOf(r)?.details?.auditSeq, 'number', 'the refusal is audited');
  });
});

/** The test policy plus one allowed contract at `address`, as an admin would propose it in JSON. */
function withContract(address: string) {
  const p = testPolicyJson(dev.people);
  return { ...p, groups: { ...p.groups, hot: { ...p.groups.hot!, contracts: [{ chainId: CHAIN_ID, address, selectors: ['0xa9059cbb'] }] } } };
}
