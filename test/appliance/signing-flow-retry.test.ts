// A retry with an idempotency key already used gets the same answer from every signing command
// (issue 11 item 2: typed data used to answer a request whose signature is not settled differently
// from a transaction): the stored response, or a typed conflict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storedAnswer } from '../../appliance/signing-flow.js';
import type { RequestRecord } from '../../appliance/state/request-store.js';
import { encodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';

const hash = new Uint8Array(32).fill(1);
const record = (kind: string, response: Uint8Array | null): RequestRecord => ({
  requestId: 'r-1',
  requestHash: hash,
  kind,
  status: response ? 'signed' : 'reserved',
  requester: 'orchestrator',
  keyId: 'k',
  intentDigest: hash,
  args: encodeCanonical({}),
  createdAt: 1,
  updatedAt: 1,
  response,
});
/** A conflict with this message and details.code: the Idempotency-Key draft's two cases, told apart by the appliance itself. */
const conflict = (message: RegExp, code?: string) => (e: unknown) =>
  e instanceof ApplianceError && e.code === 'conflict' && message.test(e.message) && (code === undefined || e.details?.code === code);

for (const kind of ['sign.evm-tx', 'sign.typed-data'] as const) {
  test(`${kind}: the stored answer, or the same typed conflict while the signature is not settled`, () => {
    assert.deepEqual(storedAnswer(record(kind, encodeCanonical({ status: 'signed', auditSeq: 7 })), kind, hash), { status: 'signed', auditSeq: 7 });
    assert.throws(() => storedAnswer(record(kind, null), kind, hash), conflict(/being signed/, 'request_in_progress'));
    assert.throws(() => storedAnswer(record(kind, null), kind, new Uint8Array(32)), conflict(/different request/, 'idempotency_key_reused'));
    const other = kind === 'sign.evm-tx' ? 'sign.typed-data' : 'sign.evm-tx';
    assert.throws(() => storedAnswer(record(other, encodeCanonical({})), kind, hash), conflict(/different request/, 'idempotency_key_reused'));
  });
}
