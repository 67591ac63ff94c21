// POST /v1/rpc: the JSON-RPC envelope (single, batch, notifications, parse and form errors), the
// methods (eth_accounts, eth_signTransaction, eth_sendTransaction, eth_signTypedData_v4, refusals),
// the request id each signing call gets, and how the appliance's answers come back (pending -32010,
// denied -32003), over the recording appliance. The node is a recording fetch here; the end-to-end
// test (test/e2e/jsonrpc.test.ts) runs anvil, SoftHSM2 and real JSON-RPC clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { CborMap } from '../../../protocol/cbor.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { policyToCbor } from '../../../firmware-policy/policy-document.js';
import { policyFromJson } from '../../../host-bridge/policy-json.js';
import { canonicalJson } from '../../../host-bridge/jsonrpc/idempotency.js';
import { admin, recordingBridge, TOKENS, type Answer } from './recording-bridge.js';
import { publicPart } from '../../../cli/approver-key.js';

const HOT = '0x' + '11'.repeat(20);
const COLD = '0x' + '22'.repeat(20);
const to = '0x' + 'ab'.repeat(20);
const keyList: CborMap = {
  keys: [
    { keyId: 'k-hot', address: '0x1111111111111111111111111111111111111111', group: 'hot' },
    { keyId: 'k-cold', address: '0x2222222222222222222222222222222222222222', group: 'cold' },
  ],
  nextOffset: null,
};
const rpcTx = { from: HOT, to, gas: '0x5208', maxFeePerGas: '0x6fc23ac00', maxPriorityFeePerGas: '0x3b9aca00', value: '0xde0b6b3a7640000', nonce: '0x7', chainId: '0x7a69', type: '0x2' };
const signed = (args: CborMap): CborMap => ({ status: 'signed', requestId: args.requestId!, keyId: args.keyId!, rawTransaction: new Uint8Array([2, 0xf8]), txHash: new Uint8Array(32).fill(9) });

type RpcBody = { jsonrpc: string; id: unknown; result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } };

function bridge(answers: Partial<Record<string, Answer>> = {}, node?: (method: string, params: unknown[]) => unknown) {
  const nodeCalls: { method: string; params: unknown[] }[] = [];
  const fetchFn = (async (_url: string, init: { body: string }) => {
    const { id, method, params } = JSON.parse(init.body) as { id: number; method: string; params: unknown[] };
    nodeCalls.push({ method, params });
    try {
      return new Response(JSON.stringify({ jsonrpc: '2.0', id, result: node!(method, params) }));
    } catch (e) {
      return new Response(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32000, message: (e as Error).message } }));
    }
  }) as unknown as typeof fetch;
  const b = recordingBridge({ 'key.list': keyList, ...answers } as never, node ? { jsonRpc: { nodeUrl: 'http://node.invalid:8545', fetch: fetchFn } } : {});
  const rpc = async (body: unknown, opts: { token?: string; headers?: Record<string, string> } = {}) => {
    const res = await b.request('POST', '/v1/rpc', { token: opts.token ?? TOKENS.orchestrator, body, ...(opts.headers ? { headers: opts.headers } : {}) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as RpcBody & RpcBody[] };
  };
  const call = (method: string, params: unknown = [], id: unknown = 1, opts: { token?: string; headers?: Record<string, string> } = {}) => rpc({ jsonrpc: '2.0', id, method, params }, opts);
  return { ...b, rpc, call, nodeCalls };
}

test('eth_signTransaction finds the key by its address and sends sign.evm-tx with the REST fields; the result is the raw transaction', async () => {
  const { call, sent } = bridge({ 'sign.evm-tx': signed });
  const { status, body } = await call('eth_signTransaction', [{ ...rpcTx, from: HOT.toUpperCase().replace('0X', '0x'), gas: undefined, gasLimit: '0x5208', type: undefined, input: '0x1234' }]);
  assert.equal(status, 200);
  assert.deepEqual(body, { jsonrpc: '2.0', id: 1, result: '0x02f8' });
  const sign = sent.find((s) => s.cmd === 'sign.evm-tx')!;
  assert.equal(sign.args.keyId, 'k-hot');
  assert.equal(sign.args.requester, 'orch-1');
  const tx = sign.args.tx as Record<string, unknown>;
  assert.equal(tx.type, 'eip1559');
  assert.equal(tx.gasLimit, 21000n);
  assert.equal(tx.nonce, 7n);
  assert.equal(tx.chainId, 31337n);
  assert.equal(tx.value, 10n ** 18n);
  assert.deepEqual(tx.data, new Uint8Array([0x12, 0x34]));
  assert.deepEqual(tx.to, new Uint8Array(20).fill(0xab));
  assert.equal(tx.gasPrice, undefined);
});

test('legacy and EIP-2930 types follow "type", or gasPrice with and without an accessList', async () => {
  const { call, sent } = bridge({ 'sign.evm-tx': signed });
  const legacy = { from: HOT, to, gas: '0x5208', gasPrice: '0x3b9aca00', nonce: '0x0', chainId: '0x1' };
  await call('eth_signTransaction', [legacy], 1);
  await call('eth_signTransaction', [{ ...legacy, accessList: [] }], 2);
  await call('eth_signTransaction', [{ ...legacy, type: '0x0' }], 3);
  assert.deepEqual(
    sent.filter((s) => s.cmd === 'sign.evm-tx').map((s) => (s.args.tx as { type: string }).type),
    ['legacy', 'eip2930', 'legacy'],
  );
});

test('the request id is derived from the principal, method, params and JSON-RPC id: a resend is the same request, a new id a new one', async () => {
  const { call, sent } = bridge({ 'sign.evm-tx': signed });
  await call('eth_signTransaction', [rpcTx], 41);
  await call('eth_signTransaction', [rpcTx], 41);
  await call('eth_signTransaction', [rpcTx], 42);
  const ids = sent.filter((s) => s.cmd === 'sign.evm-tx').map((s) => s.args.requestId as string);
  const expected =
    'rpc-' +
    createHash('sha256')
      .update(canonicalJson(['orch-1', 'eth_signTransaction', [rpcTx], 41]))
      .digest('hex');
  assert.deepEqual(ids, [expected, expected, ids[2]]);
  assert.notEqual(ids[2], expected);
  assert.match(ids[2]!, /^rpc-[0-9a-f]{64}$/);
  // Key order inside the params does not change it.
  const reordered = Object.fromEntries(Object.entries(rpcTx).reverse());
  await call('eth_signTransaction', [reordered], 41);
  assert.equal(sent.filter((s) => s.cmd === 'sign.evm-tx').at(-1)!.args.requestId, expected);
});

test('an Idempotency-Key header names the request of a single call; a batch with one is refused, an ill-formed one too', async () => {
  const { call, rpc, sent } = bridge({ 'sign.evm-tx': signed });
  await call('eth_signTransaction', [rpcTx], 7, { headers: { 'Idempotency-Key': 'order-77' } });
  assert.equal(sent.find((s) => s.cmd === 'sign.evm-tx')!.args.requestId, 'order-77');
  const batch = await rpc([{ jsonrpc: '2.0', id: 1, method: 'eth_signTransaction', params: [rpcTx] }], { headers: { 'Idempotency-Key': 'order-78' } });
  assert.equal(batch.body.error!.code, -32600);
  const bad = await call('eth_signTransaction', [rpcTx], 8, { headers: { 'Idempotency-Key': 'has space' } });
  assert.equal(bad.body.error!.code, -32600);
  assert.equal(sent.filter((s) => s.cmd === 'sign.evm-tx').length, 1);
  // A structured-field string (the IETF draft's form) names the same key.
  await call('eth_signTransaction', [rpcTx], 9, { headers: { 'Idempotency-Key': '"order-79"' } });
  assert.equal(sent.filter((s) => s.cmd === 'sign.evm-tx').at(-1)!.args.requestId, 'order-79');
});

test('pending approval is error -32010 carrying the request id and how to poll it', async () => {
  const pending = (args: CborMap): CborMap => ({
    status: 'pending_approval',
    requestId: args.requestId!,
    keyId: 'k-hot',
    intentDigest: new Uint8Array(32).fill(1),
    required: 2,
    approvedBy: [],
    reasons: [{ rule: 'approval', code: 'approval_required', message: 'above 1 ETH' }],
    statement: { type: 'approval' },
    auditSeq: 12,
  });
  const { call } = bridge({ 'sign.evm-tx': pending });
  const { status, body } = await call('eth_signTransaction', [rpcTx], 'a', { headers: { 'Idempotency-Key': 'big-1' } });
  assert.equal(status, 200);
  assert.equal(body.id, 'a');
  assert.equal(body.error!.code, -32010);
  const data = body.error!.data!;
  assert.equal(data.requestId, 'big-1');
  assert.equal(data.required, 2);
  assert.deepEqual(data.poll, { method: 'GET', path: '/v1/requests/big-1' });
  assert.equal((data.retry as { value: string }).value, 'big-1');
  assert.equal(data.intentDigest, '0x' + '01'.repeat(32));
});

test("a denial is error -32003 carrying the appliance's reasons (rule, code, message)", async () => {
  const reasons = [{ rule: 'whitelist', code: 'not_whitelisted', message: 'not on the whitelist' }];
  const { call } = bridge({ 'sign.typed-data': (args) => ({ status: 'denied', requestId: args.requestId!, keyId: 'k-hot', intentDigest: new Uint8Array(32), reasons, auditSeq: 3 }) });
  const typed = { types: { EIP712Domain: [{ name: 'name', type: 'string' }], M: [{ name: 'a', type: 'uint256' }] }, primaryType: 'M', domain: { name: 'x' }, message: { a: '1' } };
  const { body } = await call('eth_signTypedData_v4', [HOT, JSON.stringify(typed)]);
  assert.equal(body.error!.code, -32003);
  assert.deepEqual(body.error!.data!.reasons, reasons);
  assert.match(body.error!.message, /whitelist\/not_whitelisted/);
  assert.match(String(body.error!.data!.requestId), /^rpc-/);
});

test('eth_signTypedData_v4 sends the typed data (text or object) to sign.typed-data and answers the 65-byte signature', async () => {
  const sig = new Uint8Array(65).fill(5);
  const { call, sent } = bridge({ 'sign.typed-data': (args) => ({ status: 'signed', requestId: args.requestId!, keyId: 'k-cold', signature: sig }) });
  const typed = { types: { M: [{ name: 'a', type: 'uint256' }] }, primaryType: 'M', domain: { name: 'x', chainId: 1 }, message: { a: '5' } };
  const { body } = await call('eth_signTypedData_v4', [COLD, typed]);
  assert.equal(body.result, '0x' + '05'.repeat(65));
  const s = sent.find((x) => x.cmd === 'sign.typed-data')!;
  assert.equal(s.args.keyId, 'k-cold');
  assert.equal((s.args.typedData as { primaryType: string }).primaryType, 'M');
});

test('bad params are -32602 and nothing is signed: unknown field, wrong checksum, unknown address, missing fields without a node, not JSON typed data', async () => {
  const { call, sent } = bridge({ 'sign.evm-tx': signed });
  const cases: [string, unknown[]][] = [
    ['eth_signTransaction', [{ ...rpcTx, blobs: [] }]],
    ['eth_signTransaction', [{ ...rpcTx, from: '0x1111111111111111111111111111111111111111'.replace('0x11', '0xA1') }]],
    ['eth_signTransaction', [{ ...rpcTx, from: '0x' + '33'.repeat(20) }]],
    ['eth_signTransaction', [{ ...rpcTx, nonce: undefined }]],
    ['eth_signTransaction', [{ ...rpcTx, nonce: '0x07' }]],
    ['eth_signTransaction', [{ ...rpcTx, type: '0x3' }]],
    ['eth_signTransaction', []],
    ['eth_signTypedData_v4', [HOT, '{not json']],
  ];
  for (const [method, params] of cases) {
    const { body } = await call(method, params);
    assert.equal(body.error?.code, -32602, `${JSON.stringify(params)}: ${JSON.stringify(body)}`);
  }
  assert.equal(sent.filter((s) => s.cmd.startsWith('sign.')).length, 0);
});

test('unknown methods are -32601; eth_sign and personal_sign are refused by design (-32004); read methods need a node (-32002)', async () => {
  const { call, sent } = bridge();
  assert.equal((await call('eth_mine')).body.error!.code, -32601);
  for (const m of ['eth_sign', 'personal_sign', 'eth_signTypedData_v3']) {
    const { body } = await call(m, [HOT, '0xdeadbeef']);
    assert.equal(body.error!.code, -32004, m);
    assert.equal(body.error!.data!.code, 'refused_by_design');
  }
  assert.match((await call('personal_sign', ['0x00', HOT])).body.error!.message, /blind messages/);
  assert.equal((await call('eth_chainId')).body.error!.code, -32002);
  assert.equal((await call('eth_sendTransaction', [rpcTx])).body.error!.code, -32002);
  assert.equal(sent.filter((s) => s.cmd.startsWith('sign.')).length, 0);
});

test('eth_accounts lists the keys of the groups the policy lets the requester use (all when it names none)', async () => {
  const group = { chains: [1], whitelistRequired: true, assets: { '1:native': { perTxMax: '1', windows: [], approvalTiers: [] } } };
  const doc = (groups?: string[]) =>
    policyToCbor(
      policyFromJson({ adminQuorum: 1, admins: [publicPart(admin)], approvers: [], requesters: [{ id: 'orch-1', ...(groups ? { groups } : {}) }], groups: { hot: group, cold: group } }, 'dev-1'),
    );
  const all = bridge({ 'policy.get': { version: 1, document: doc() } });
  assert.deepEqual((await all.call('eth_accounts')).body.result, ['0x1111111111111111111111111111111111111111', '0x2222222222222222222222222222222222222222']);
  const hotOnly = bridge({ 'policy.get': { version: 1, document: doc(['hot']) } });
  assert.deepEqual((await hotOnly.call('eth_accounts')).body.result, ['0x1111111111111111111111111111111111111111']);
});

test('a batch is answered in order, notifications are neither run nor answered, form errors answer per entry', async () => {
  const { rpc, sent } = bridge({ 'sign.evm-tx': signed });
  const { status, body } = await rpc([
    { jsonrpc: '2.0', id: 1, method: 'eth_signTransaction', params: [rpcTx] },
    { jsonrpc: '2.0', method: 'eth_signTransaction', params: [{ ...rpcTx, nonce: '0x8' }] },
    { jsonrpc: '1.0', id: 2, method: 'eth_accounts' },
    42,
    { jsonrpc: '2.0', id: 3, method: 'nope' },
  ]);
  assert.equal(status, 200);
  assert.deepEqual(
    body.map((r) => [r.id, r.error?.code ?? r.result]),
    [
      [1, '0x02f8'],
      [2, -32600],
      [null, -32600],
      [3, -32601],
    ],
  );
  assert.equal(sent.filter((s) => s.cmd === 'sign.evm-tx').length, 1, 'the notification signed nothing');
  const onlyNotes = await rpc([{ jsonrpc: '2.0', method: 'eth_accounts' }]);
  assert.equal(onlyNotes.status, 204);
  assert.equal((await rpc([])).body.error!.code, -32600);
  assert.equal((await rpc(Array.from({ length: 33 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_accounts' })))).body.error!.code, -32600);
  assert.equal((await rpc('{"jsonrpc":')).body.error!.code, -32700);
});

test('the REST tokens and scope: no token is HTTP 401 with a JSON-RPC error, another scope 403, and nothing is sent', async () => {
  const { call, sent } = bridge({ 'sign.evm-tx': signed });
  const none = await bridge().rpc({ jsonrpc: '2.0', id: 1, method: 'eth_accounts' }, { token: 'x' });
  assert.equal(none.status, 401);
  assert.equal(none.body.error!.code, -32030);
  const admin = await call('eth_signTransaction', [rpcTx], 1, { token: TOKENS.admin });
  assert.equal(admin.status, 403);
  assert.equal(admin.body.error!.code, -32031);
  assert.equal(admin.body.error!.data!.code, 'forbidden');
  assert.equal(sent.filter((s) => s.cmd.startsWith('sign.')).length, 0);
});

test('an appliance error keeps its code in data: conflict is -32012, a sealed-state denial -32003', async () => {
  const conflict = bridge({ 'sign.evm-tx': new ApplianceError('conflict', 'request id used for another request') });
  const c = (await conflict.call('eth_signTransaction', [rpcTx])).body.error!;
  assert.equal(c.code, -32012);
  assert.equal(c.data!.code, 'conflict');
  const sealed = bridge({ 'sign.evm-tx': new ApplianceError('denied', 'sealed state broken', { rule: 'sealed-state', code: 'state_tampered' }) });
  const s = (await sealed.call('eth_signTransaction', [rpcTx])).body.error!;
  assert.equal(s.code, -32003);
  assert.deepEqual(s.data, { code: 'denied', details: { rule: 'sealed-state', code: 'state_tampered' } });
});

test('eth_sendTransaction fills what is missing from the node, never what was given, signs, and broadcasts', async () => {
  const node = (method: string) =>
    ({
      eth_chainId: '0x7a69',
      eth_getTransactionCount: '0x5',
      eth_estimateGas: '0x5300',
      eth_maxPriorityFeePerGas: '0x3b9aca00',
      eth_getBlockByNumber: { baseFeePerGas: '0x10' },
      eth_sendRawTransaction: '0x' + '09'.repeat(32),
    })[method];
  const { call, sent, nodeCalls } = bridge({ 'sign.evm-tx': signed }, node);
  const { body } = await call('eth_sendTransaction', [{ from: HOT, to, value: '0x1', maxPriorityFeePerGas: '0x2' }]);
  assert.equal(body.result, '0x' + '09'.repeat(32), JSON.stringify(body));
  const tx = sent.find((s) => s.cmd === 'sign.evm-tx')!.args.tx as Record<string, bigint>;
  assert.equal(tx.chainId, 31337n);
  assert.equal(tx.nonce, 5n);
  assert.equal(tx.gasLimit, 0x5300n);
  assert.equal(tx.maxPriorityFeePerGas, 2n, 'the given tip is kept');
  assert.equal(tx.maxFeePerGas, 2n * 16n + 2n);
  assert.deepEqual(nodeCalls.find((n) => n.method === 'eth_getTransactionCount')!.params, [HOT, 'pending']);
  assert.deepEqual(nodeCalls.at(-1), { method: 'eth_sendRawTransaction', params: ['0x02f8'] });
});

test('a resent eth_sendTransaction whose filled nonce moved gets the stored answer (conflict, then request.get) and no new signature', async () => {
  let nonce = 5;
  const stored = new Map<string, CborMap>();
  const node = (method: string) => {
    if (method === 'eth_getTransactionCount') return '0x' + (nonce++).toString(16);
    if (method === 'eth_sendRawTransaction') throw new Error('already known');
    if (method === 'eth_getTransactionByHash') return { hash: '0x' + '09'.repeat(32) };
    return { eth_chainId: '0x1', eth_estimateGas: '0x5208', eth_maxPriorityFeePerGas: '0x1', eth_getBlockByNumber: { baseFeePerGas: '0x1' } }[method];
  };
  const { call, sent } = bridge(
    {
      'sign.evm-tx': (args) => {
        const id = args.requestId as string;
        const prior = stored.get(id);
        if (prior && (prior.tx as CborMap).nonce !== (args.tx as CborMap).nonce) throw new ApplianceError('conflict', 'used for another request');
        stored.set(id, args);
        return signed(args);
      },
      'request.get': (args) => signed(stored.get(args.requestId as string)!),
    },
    node,
  );
  const first = await call('eth_sendTransaction', [{ from: HOT, to, value: '0x1' }], 9);
  const again = await call('eth_sendTransaction', [{ from: HOT, to, value: '0x1' }], 9);
  assert.equal(first.body.result, '0x' + '09'.repeat(32));
  assert.equal(again.body.result, first.body.result);
  const signs = sent.filter((s) => s.cmd === 'sign.evm-tx');
  assert.equal(signs.length, 2);
  assert.equal(signs[0]!.args.requestId, signs[1]!.args.requestId);
  assert.equal(stored.size, 1, 'one request, signed once');
  assert.deepEqual(sent.find((s) => s.cmd === 'request.get')!.args, { requestId: signs[0]!.args.requestId, viewer: 'orch-1', role: 'requester' });
});

test('read-only methods go to the node and come back as it answered them; its errors pass through', async () => {
  const { call } = bridge({}, (method) => {
    if (method === 'eth_call') throw new Error('execution reverted');
    return method === 'eth_chainId' ? '0x7a69' : null;
  });
  assert.equal((await call('eth_chainId')).body.result, '0x7a69');
  const reverted = (await call('eth_call', [{ to }, 'latest'])).body.error!;
  assert.equal(reverted.code, -32000);
  assert.equal(reverted.message, 'execution reverted');
});
