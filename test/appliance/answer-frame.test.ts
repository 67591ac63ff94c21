// An answer becomes a frame or a typed error for the same request, never a throw (issue 11 item 7:
// a result over the response frame used to throw inside the server's promise chain and end the process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerFrame } from '../../appliance/answer-frame.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { DEFAULT_MAX_FRAME } from '../../protocol/frame.js';
import { maxResponseFrame } from '../../protocol/limits.js';

const LIMIT = maxResponseFrame(DEFAULT_MAX_FRAME);
const decode = (frame: Buffer): CborMap => {
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  return decodeCanonical(frame.subarray(4)) as CborMap;
};

test('an answer within the response frame is framed as it is', () => {
  const m = { id: 3, ok: true, result: { blob: new Uint8Array(LIMIT - 64) } };
  assert.deepEqual(decode(answerFrame(m, LIMIT)), m);
});

test('an answer over the response frame becomes response_too_large for the same id', () => {
  const big = { id: 7, ok: true, result: { blob: new Uint8Array(LIMIT) } };
  const out = decode(answerFrame(big, LIMIT));
  assert.equal(out.id, 7);
  assert.equal(out.ok, false);
  const error = out.error as CborMap;
  assert.equal(error.code, 'response_too_large');
  assert.deepEqual(error.details, { length: encodeCanonical(big).length, maxResponse: LIMIT });
});

test('an answer that cannot be encoded becomes internal, not a throw', () => {
  const out = decode(answerFrame({ id: 9, ok: true, result: { x: 1.5 } }, LIMIT));
  assert.deepEqual(out, { id: 9, ok: false, error: { code: 'internal', message: 'internal error' } });
});
