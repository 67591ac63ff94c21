// POST /v1/sign/*: the JSON request becomes the exact sign command (request id from the
// Idempotency-Key, requester from the token's principal, amounts as bigints, addresses as bytes), the
// header is required, only an orchestrator token is served, and the reply's status follows the decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplianceError } from '../../../protocol/errors.js';
import { recordingBridge, TOKENS, documentedCommands, errorOf } from './recording-bridge.js';

const to = '0x' + 'ab'.repeat(20);
const transaction = { type: 'eip1559', chainId: 1, nonce: 7, gasLimit: 21000, to, value: '1000000000000000000', maxFeePerGas: '30000000000', maxPriorityFeePerGas: '0x3b9aca00' };

test('an EVM transaction becomes sign.evm-tx with bigint amounts and address bytes, under the trace id', async () => {
  const { request, sent } = recordingBridge({ 'sign.evm-tx': { status: 'signed', requestId: 'order-1', txHash: new Uint8Array([1, 2]) } });
  const res = await request('POST', '/v1/sign/evm-transaction', {
    token: TOKENS.orchestrator,
    headers: { 'Idempotency-Key': 'order-1', 'X-Request-Id': 'trace-9' },
    body: { keyId: 'k1', transaction },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('X-Request-Id'), 'trace-9');
  assert.deepEqual(await res.json(), { status: 'signed', requestId: 'order-1', txHash: '0x0102' });
  assert.equal(sent.length, 1);
  const { cmd, args, traceId } = sent[0]!;
  assert.equal(cmd, 'sign.evm-tx');
  assert.ok(documentedCommands('POST /v1/sign/evm-transaction').includes(cmd));
  assert.equal(traceId, 'trace-9');
  assert.deepEqual(Object.keys(args).sort(), ['keyId', 'requestId', 'requester', 'tx']);
  assert.equal(args.requestId, 'order-1');
  assert.equal(args.requester, 'orch-1');
  assert.equal(args.keyId, 'k1');
  const tx = args.tx as Record<string, unknown>;
  assert.equal(tx.value, 10n ** 18n);
  assert.equal(tx.chainId, 1n);
  assert.equal(tx.maxPriorityFeePerGas, 1_000_000_000n);
  assert.deepEqual(tx.to, new Uint8Array(20).fill(0xab));
});

test('the reply status follows the result: pending 202, denied 403, aborted 409', async () => {
  for (const [status, http] of [
    ['pending_approval', 202],
    ['denied', 403],
    ['aborted', 409],
  ] as const) {
    const { request } = recordingBridge({ 'sign.typed-data': { status, requestId: 'r' } });
    const res = await request('POST', '/v1/sign/typed-data', {
      token: TOKENS.orchestrator,
      headers: { 'Idempotency-Key': 'r' },
      body: { keyId: 'k1', typedData: { primaryType: 'Mail', domain: { chainId: '1' }, types: {}, message: {} } },
    });
    assert.equal(res.status, http, status);
    assert.equal(((await res.json()) as { status: string }).status, status);
  }
});

test('typed data travels as its JSON, with the same request id and requester', async () => {
  const { request, sent } = recordingBridge({ 'sign.typed-data': { status: 'signed', requestId: 'td-1' } });
  const typedData = { primaryType: 'Mail', domain: { name: 'x', chainId: 1 }, types: { Mail: [{ name: 'a', type: 'uint256' }] }, message: { a: '5' } };
  await request('POST', '/v1/sign/typed-data', { token: TOKENS.orchestrator, headers: { 'Idempotency-Key': 'td-1' }, body: { keyId: 'k2', typedData } });
  assert.equal(sent[0]?.cmd, 'sign.typed-data');
  assert.deepEqual(Object.keys(sent[0]!.args).sort(), ['keyId', 'requestId', 'requester', 'typedData']);
  assert.equal(sent[0]!.args.requestId, 'td-1');
  assert.equal(sent[0]!.args.requester, 'orch-1');
  assert.equal((sent[0]!.args.typedData as { primaryType: string }).primaryType, 'Mail');
});

test('a missing or malformed Idempotency-Key is refused with 400 before anything is sent', async () => {
  for (const path of ['/v1/sign/evm-transaction', '/v1/sign/typed-data']) {
    const malformed = [
      {},
      { 'Idempotency-Key': 'has space' },
      { 'Idempotency-Key': 'x'.repeat(129) },
      { 'Idempotency-Key': '"abc' },
      { 'Idempotency-Key': '"a"b"' },
      { 'Idempotency-Key': '"a\\b"' },
      { 'Idempotency-Key': '"abc";p=1' },
      { 'Idempotency-Key': '""' },
    ];
    for (const headers of malformed as Record<string, string>[]) {
      const { request, sent } = recordingBridge();
      const res = await request('POST', path, { token: TOKENS.orchestrator, headers, body: { keyId: 'k1', transaction } });
      assert.equal(res.status, 400, JSON.stringify(headers));
      assert.deepEqual(await errorOf(res), {
        code: 'bad_request',
        message: 'an Idempotency-Key header of 1-128 characters [A-Za-z0-9._:-] (bare, or quoted as a structured-field string) is required',
      });
      assert.equal(sent.length, 0);
    }
  }
});

test('only an orchestrator token signs: another scope is 403 scope_missing, no token 401, and nothing is sent', async () => {
  const { request, sent } = recordingBridge();
  const other = await request('POST', '/v1/sign/evm-transaction', { token: TOKENS.admin, headers: { 'Idempotency-Key': 'a' }, body: { keyId: 'k1', transaction } });
  assert.equal(other.status, 403);
  assert.equal((await errorOf(other)).details?.code, 'scope_missing');
  const none = await request('POST', '/v1/sign/evm-transaction', { headers: { 'Idempotency-Key': 'a' }, body: { keyId: 'k1', transaction } });
  assert.equal(none.status, 401);
  assert.equal(sent.length, 0);
});

test('a mixed-case address with a wrong EIP-55 checksum is 400 bad_checksum, not sent', async () => {
  const { request, sent } = recordingBridge();
  const bad = '0x' + 'aB'.repeat(20);
  const res = await request('POST', '/v1/sign/evm-transaction', { token: TOKENS.orchestrator, headers: { 'Idempotency-Key': 'a' }, body: { keyId: 'k1', transaction: { ...transaction, to: bad } } });
  assert.equal(res.status, 400);
  assert.equal((await errorOf(res)).code, 'bad_checksum');
  assert.equal(sent.length, 0);
});

test('travelRuleHash (0x + 64 hex) becomes the 32-byte argument of sign.evm-tx', async () => {
  const { request, sent } = recordingBridge({ 'sign.evm-tx': { status: 'signed', requestId: 'tr-1' } });
  const res = await request('POST', '/v1/sign/evm-transaction', {
    token: TOKENS.orchestrator,
    headers: { 'Idempotency-Key': 'tr-1' },
    body: { keyId: 'k1', transaction, travelRuleHash: '0x' + 'C4'.repeat(32) },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(sent[0]!.args).sort(), ['keyId', 'requestId', 'requester', 'travelRuleHash', 'tx']);
  assert.deepEqual(sent[0]!.args.travelRuleHash, new Uint8Array(32).fill(0xc4));
});

test('a travelRuleHash that is not 0x + 64 hex is 400 bad_request naming it, not sent', async () => {
  for (const travelRuleHash of ['0x' + '00'.repeat(31), '0x' + '00'.repeat(33), '00'.repeat(32), '0x' + 'zz'.repeat(32), 42]) {
    const { request, sent } = recordingBridge();
    const res = await request('POST', '/v1/sign/evm-transaction', { token: TOKENS.orchestrator, headers: { 'Idempotency-Key': 'tr-2' }, body: { keyId: 'k1', transaction, travelRuleHash } });
    assert.equal(res.status, 400, String(travelRuleHash));
    const err = await errorOf(res);
    assert.equal(err.code, 'bad_request');
    assert.equal((err.details as { field?: string } | undefined)?.field, 'travelRuleHash');
    assert.equal(sent.length, 0);
  }
});

test('a quoted Idempotency-Key (a structured-field string, as the IETF draft writes it) names the same request as the bare key', async () => {
  for (const header of ['"order-7"', 'order-7']) {
    const { request, sent } = recordingBridge({ 'sign.evm-tx': { status: 'signed', requestId: 'order-7' } });
    const res = await request('POST', '/v1/sign/evm-transaction', { token: TOKENS.orchestrator, headers: { 'Idempotency-Key': header }, body: { keyId: 'k1', transaction } });
    assert.equal(res.status, 200, header);
    assert.equal(sent[0]?.args.requestId, 'order-7', header);
  }
});

test("a key used for a different request is 422, a request still being signed under it 409: the appliance's details.code tells them apart", async () => {
  const cases = [
    ['idempotency_key_reused', 'this idempotency key was used for a different request', 422],
    ['request_in_progress', 'request is being signed', 409],
  ] as const;
  for (const [code, message, status] of cases) {
    const { request } = recordingBridge({
      'sign.evm-tx': new ApplianceError('conflict', message, { code, auditSeq: 12 }),
      'sign.typed-data': new ApplianceError('conflict', message, { code, auditSeq: 12 }),
    });
    for (const [path, body] of [
      ['/v1/sign/evm-transaction', { keyId: 'k1', transaction }],
      ['/v1/sign/typed-data', { keyId: 'k1', typedData: { primaryType: 'Mail', domain: {}, types: {}, message: {} } }],
    ] as const) {
      const res = await request('POST', path, { token: TOKENS.orchestrator, headers: { 'Idempotency-Key': 'k-1' }, body });
      assert.equal(res.status, status, `${path} ${code}`);
      const problem = (await res.json()) as Record<string, unknown>;
      assert.equal(problem.type, `/problems/conflict/${code}`);
      assert.equal(problem.status, status);
      assert.equal(problem.code, 'conflict');
      assert.deepEqual(problem.details, { code, auditSeq: 12 });
    }
  }
  // Any other conflict keeps its code's status and type.
  const { request } = recordingBridge({ 'sign.evm-tx': new ApplianceError('conflict', 'something else') });
  const res = await request('POST', '/v1/sign/evm-transaction', { token: TOKENS.orchestrator, headers: { 'Idempotency-Key': 'k-2' }, body: { keyId: 'k1', transaction } });
  assert.equal(res.status, 409);
  assert.equal(((await res.json()) as { type: string }).type, '/problems/conflict');
});
