// sign.evm-tx's arguments (protocol/commands/sign-evm-tx.ts): the optional travel-rule hash is exactly
// 32 bytes, and it is part of what a requester's stamp covers (the arguments' digest changes with it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signEvmTx } from '../../../protocol/commands/sign-evm-tx.js';
import { ApplianceError } from '../../../protocol/errors.js';
import type { CborMap } from '../../../protocol/cbor.js';

const tx: CborMap = { type: 'eip1559', chainId: 1n, nonce: 0n };
const base = (over: CborMap = {}): CborMap => ({ requestId: 'r1', requester: 'orch', keyId: 'k1', tx, ...over });
const hash = (b: number) => new Uint8Array(32).fill(b);

test('travelRuleHash is optional and, when given, kept as its 32 bytes', () => {
  assert.equal(Object.hasOwn(signEvmTx.parseArgs(base()), 'travelRuleHash'), false);
  assert.deepEqual(signEvmTx.parseArgs(base({ travelRuleHash: hash(7) })).travelRuleHash, hash(7));
});

test('a travelRuleHash of another length or type is bad_request naming the field', () => {
  for (const v of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), '0x' + '07'.repeat(32), 7, null]) {
    assert.throws(
      () => signEvmTx.parseArgs(base({ travelRuleHash: v })),
      (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request' && (e.details as { field?: string } | undefined)?.field === 'travelRuleHash',
      String(v),
    );
  }
});

test('the digest a stamp covers changes with the travel-rule hash (added, swapped), not with the stamp', () => {
  const without = signEvmTx.parseArgs(base()).argsDigest;
  const a = signEvmTx.parseArgs(base({ travelRuleHash: hash(1) })).argsDigest;
  const b = signEvmTx.parseArgs(base({ travelRuleHash: hash(2) })).argsDigest;
  assert.notDeepEqual(a, without);
  assert.notDeepEqual(a, b);
  const stamped = signEvmTx.parseArgs(base({ travelRuleHash: hash(1), stamp: { expiresAt: 5, signature: new Uint8Array(64) } }));
  assert.deepEqual(stamped.argsDigest, a);
});
