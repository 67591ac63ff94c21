// attestation/audit-entry-view.ts: the one reader of an audit entry's payload. It decodes the map
// inside a COSE_Sign1 without checking the signature, refuses what is not a map, and leaves an entry
// whose bytes do not decode without a payload (for the bridge's page, which still shows its bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { signCoseSign1Sync } from '../../attestation/cose-sign1.js';
import { entryPayload, withDecodedPayload } from '../../attestation/audit-entry-view.js';

const cose = (payload: Uint8Array) => signCoseSign1Sync({ alg: -7, kid: 'dev-1', payload, sign: () => new Uint8Array(64) });

test('the payload map of a COSE_Sign1, decoded (the signature is not what it checks)', () => {
  const fields = { kind: 'sign.evm-tx', seq: 3, time: 1764667200, reasons: [{ rule: 'whitelist', code: 'not_whitelisted', message: 'm' }] };
  assert.deepEqual(entryPayload(cose(encodeCanonical(fields))), fields);
});

test('a payload that is not a map is refused with a typed error', () => {
  for (const v of [encodeCanonical([1, 2]), encodeCanonical('text'), encodeCanonical(7)]) {
    assert.throws(
      () => entryPayload(cose(v)),
      (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
    );
  }
  assert.throws(() => entryPayload(new Uint8Array([1, 2, 3])));
});

test('withDecodedPayload adds the payload beside the bytes, or leaves an unreadable entry as it is', () => {
  const entry = cose(encodeCanonical({ kind: 'refusal', seq: 9 }));
  assert.deepEqual(withDecodedPayload({ seq: 9, hash: new Uint8Array(1), entry }), { seq: 9, hash: new Uint8Array(1), entry, payload: { kind: 'refusal', seq: 9 } });
  const broken = { seq: 10, hash: new Uint8Array(1), entry: new Uint8Array([0xd2, 0x84]) };
  assert.deepEqual(withDecodedPayload(broken), broken);
  assert.deepEqual(withDecodedPayload({ seq: 11 }), { seq: 11 });
});
