// Issue 18 item 3: the SafeTx decoder. A Safe transaction's EIP-712 digest is the one viem computes
// (the Safe contract's own getTransactionHash is compared on anvil in test/e2e/safe-cosign.test.ts);
// its fields are read as a 'safe-tx' with the Safe from the domain; the inner call is read exactly as a
// transaction's (native transfer, ERC-20 transfer and approve from the calldata, other calls by
// selector); a malformed inner token call is bad_request; a look-alike layout is not a SafeTx; and
// the audit summary carries the decoded inner call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashTypedData, type Hex } from 'viem';
import { readTypedRequest, typedSummaryToCbor } from '../../../firmware-policy/evm/typed-intent.js';
import { safeInnerIntent, safeRefundsGas, type SafeTx } from '../../../firmware-policy/evm/safe-tx.js';
import { ApplianceError } from '../../../protocol/errors.js';
import type { CborMap } from '../../../protocol/cbor.js';
import { erc20Approve, erc20Transfer, SAFE_TX_TYPE, safeTxTypedData, type SafeTxFields } from '../../helpers/safe-tx.js';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const SAFE = '0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe';
const TO = '0x2222222222222222222222222222222222222222';
const TOKEN = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';

const read = (f: SafeTxFields) => readTypedRequest(safeTxTypedData(1, SAFE, f) as unknown as CborMap);
function safeTx(f: SafeTxFields): SafeTx {
  const i = read(f).intent;
  assert.equal(i.kind, 'safe-tx');
  return i as SafeTx;
}

test('the SafeTx digest is the EIP-712 digest viem computes, and every field is read', () => {
  const f = { to: TO, value: 5n, data: '0xdeadbeef' as Hex, operation: 1, safeTxGas: 7n, baseGas: 8n, gasPrice: 9n, gasToken: TOKEN, refundReceiver: TO, nonce: 42n };
  const td = safeTxTypedData(1, SAFE, f);
  const r = readTypedRequest(td as unknown as CborMap);
  assert.equal('0x' + Buffer.from(r.digest).toString('hex'), hashTypedData(td as Parameters<typeof hashTypedData>[0]));
  assert.deepEqual(r.intent, {
    kind: 'safe-tx',
    safe: bytes(SAFE),
    to: bytes(TO),
    value: 5n,
    data: bytes('0xdeadbeef'),
    operation: 1,
    safeTxGas: 7n,
    baseGas: 8n,
    gasPrice: 9n,
    gasToken: bytes(TOKEN),
    refundReceiver: bytes(TO),
    nonce: 42n,
  });
  assert.equal(safeRefundsGas(r.intent as SafeTx), true);
  assert.equal(safeRefundsGas(safeTx({ to: TO, nonce: 0 })), false);
  assert.equal(safeRefundsGas(safeTx({ to: TO, nonce: 0, refundReceiver: TO })), true, 'a refund receiver alone counts as a refund');
});

test('the inner call is read like a transaction: native transfer, ERC-20 transfer and approve, other calls by selector', () => {
  const native = safeInnerIntent('k1', 1n, safeTx({ to: TO, value: 10n, nonce: 3 }));
  assert.deepEqual([native.kind, native.asset, native.amount, native.nonce], ['evm-transfer', '1:native', 10n, 3n]);
  assert.deepEqual(native.to, bytes(TO));

  const transfer = safeInnerIntent('k1', 1n, safeTx({ to: TOKEN, data: erc20Transfer(TO, 99n), nonce: 3 }));
  assert.deepEqual([transfer.kind, transfer.asset, transfer.amount], ['erc20-transfer', `1:erc20:${TOKEN}`, 99n]);
  assert.deepEqual(transfer.to, bytes(TO), 'the recipient comes from the calldata');
  assert.deepEqual(transfer.contract, bytes(TOKEN));

  const approve = safeInnerIntent('k1', 1n, safeTx({ to: TOKEN, data: erc20Approve(TO, 1000n), nonce: 3 }));
  assert.deepEqual([approve.kind, approve.amount], ['erc20-approve', 1000n]);
  assert.deepEqual(approve.to, bytes(TO), 'the spender comes from the calldata');

  const other = safeInnerIntent('k1', 1n, safeTx({ to: SAFE, data: `0x0d582f13${'00'.repeat(64)}`, nonce: 3 }));
  assert.deepEqual([other.kind, Buffer.from(other.selector!).toString('hex')], ['contract-call', '0d582f13']);
});

test('a malformed inner token call is bad_request, as in a transaction', () => {
  const truncated = erc20Transfer(TO, 1n).slice(0, -2) as Hex;
  assert.throws(
    () => read({ to: TOKEN, data: truncated, nonce: 0 }),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
  );
});

test('a SafeTx look-alike (a field renamed or added) is not read as a Safe transaction', () => {
  const renamed = { ...safeTxTypedData(1, SAFE, { to: TO, nonce: 0 }) };
  renamed.types = { ...renamed.types, SafeTx: SAFE_TX_TYPE.map((f) => (f.name === 'baseGas' ? { name: 'dataGas', type: f.type } : f)) };
  const m = renamed.message as Record<string, unknown>;
  renamed.message = Object.fromEntries(Object.entries(m).map(([k, v]) => [k === 'baseGas' ? 'dataGas' : k, v])) as typeof renamed.message;
  assert.equal(readTypedRequest(renamed as unknown as CborMap).intent.kind, 'other');
});

test("the audit summary records the Safe transaction's fields and its decoded inner call", () => {
  const s = typedSummaryToCbor(read({ to: TOKEN, data: erc20Transfer(TO, 99n), nonce: 4 }));
  assert.equal(s.classification, 'safe-tx');
  const st = s.safeTx as CborMap;
  assert.deepEqual([st.safe, st.operation, st.nonce], [bytes(SAFE), 'call', 4n]);
  const inner = st.innerCall as CborMap;
  assert.deepEqual([inner.kind, inner.asset, inner.to, inner.amount, inner.contract], ['erc20-transfer', `1:erc20:${TOKEN}`, bytes(TO), 99n, bytes(TOKEN)]);
  assert.equal(inner.keyId, undefined);
  assert.equal((typedSummaryToCbor(read({ to: TO, operation: 1, nonce: 0 })).safeTx as CborMap).operation, 'delegatecall');
});
