// The quorum across RPC endpoints: a majority decides; one node's word is not enough; nodes that
// disagree about the block (or cannot answer) give RPC_INCONSISTENT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, defaultQuorum, type TxAnswer } from '../../orchestrator/rpc-quorum.js';

const inBlock = (h: string, status: 'success' | 'reverted' = 'success'): TxAnswer => ({ kind: 'included', blockHash: h, blockNumber: 10n, status });
const absent: TxAnswer = { kind: 'absent' };
const pending: TxAnswer = { kind: 'pending' };
const error: TxAnswer = { kind: 'error' };

test('a majority is the default quorum', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(defaultQuorum), [1, 2, 2, 3, 3]);
});

test('two of three endpoints with the same receipt decide inclusion', () => {
  assert.deepEqual(decide([inBlock('0xaa'), inBlock('0xAA'), absent]), { kind: 'included', blockHash: '0xaa', blockNumber: 10n, status: 'success', votes: 2 });
  assert.equal(decide([inBlock('0xaa', 'reverted'), inBlock('0xaa', 'reverted'), error]).kind, 'included');
});

test('one endpoint alone never decides', () => {
  assert.equal(decide([inBlock('0xaa'), error, error]).kind, 'inconsistent');
  assert.equal(decide([absent, error, error]).kind, 'inconsistent');
});

test('endpoints disagreeing on the block, or on the status, are inconsistent', () => {
  assert.deepEqual(decide([inBlock('0xaa'), inBlock('0xbb'), absent]), { kind: 'inconsistent', answers: 3, errors: 0 });
  assert.equal(decide([inBlock('0xaa', 'success'), inBlock('0xaa', 'reverted'), error]).kind, 'inconsistent');
});

test('not in a block: a mempool sighting and an absence agree that it is not included', () => {
  assert.deepEqual(decide([pending, absent, inBlock('0xaa')]), { kind: 'pending', votes: 2 });
  assert.deepEqual(decide([absent, absent, inBlock('0xaa')]), { kind: 'absent', votes: 2 });
});

test('a quorum outside 1..n is refused', () => {
  assert.throws(() => decide([absent], 2), RangeError);
  assert.throws(() => decide([absent, absent], 0), RangeError);
});
