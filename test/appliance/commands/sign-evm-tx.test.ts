// sign.evm-tx through the dispatcher on an in-process device (real SoftHSM2 token, test clock): an
// allowed transfer is signed (viem recovers the key's address), a denial is an answer naming the
// rule, an address in its hold is denied until the device's clock passes it, a transfer above the
// approval tier waits for approvals, and misuse gets typed errors.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseTransaction, recoverTransactionAddress, type Hex } from 'viem';
import { dispatch } from '../../../appliance/dispatch.js';
import type { CborMap } from '../../../protocol/cbor.js';
import { ETH } from '../../helpers/test-device.js';
import { openInProcessDevice, transfer, typedError, whitelistAddress, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;
let keyId: string;
const recipient = new Uint8Array(randomBytes(20));
let nonce = 0;
let n = 0;
const sign = (tx: CborMap, requestId = `r-${n++}`) => dispatch(d.dev, 'sign.evm-tx', { requestId, requester: 'orchestrator', keyId, tx });
const hex = (b: unknown) => ('0x' + Buffer.from(b as Uint8Array).toString('hex')) as Hex;
const codes = (r: Record<string, unknown>) => (r.reasons as { code: string }[]).map((x) => x.code);

describe('sign.evm-tx', () => {
  before(async () => {
    d = await openInProcessDevice();
    keyId = String(d.keys[0]?.keyId);
    await whitelistAddress(d, recipient);
    d.clock.advance(2); // the test policy's 2 s hold
  });
  after(() => d?.close());

  test('allow: a whitelisted transfer within limits is signed by the key, audited', async () => {
    const r = await sign(transfer(recipient, ETH / 2n, nonce++));
    assert.equal(r.status, 'signed', JSON.stringify(r.reasons ?? null));
    const raw = hex(r.rawTransaction);
    const parsed = parseTransaction(raw);
    assert.equal(parsed.to, hex(recipient));
    assert.equal(parsed.value, ETH / 2n);
    assert.equal((await recoverTransactionAddress({ serializedTransaction: raw as never })).toLowerCase(), String(d.keys[0]?.address).toLowerCase());
    assert.equal(d.dev.audit.head().seq, r.auditSeq, 'the signature is the last audited event');
  });

  test('deny: a recipient not on the whitelist is answered denied (a value, not an error), nothing signed', async () => {
    const r = await sign(transfer(new Uint8Array(randomBytes(20)), 1000n, nonce));
    assert.equal(r.status, 'denied');
    assert.deepEqual(codes(r), ['not_whitelisted']);
    assert.equal((r.reasons as { rule: string }[])[0]?.rule, 'whitelist');
    assert.equal(r.rawTransaction, undefined);
  });

  test('deny, then allow: an address in its hold is signed for only once the device clock passes the hold', async () => {
    const fresh = new Uint8Array(randomBytes(20));
    await whitelistAddress(d, fresh);
    d.clock.advance(1);
    assert.deepEqual(codes(await sign(transfer(fresh, 1000n, nonce))), ['whitelist_hold']);
    d.clock.advance(1);
    assert.equal((await sign(transfer(fresh, 1000n, nonce++))).status, 'signed');
  });

  test('above the approval tier: pending_approval with the statement to sign', async () => {
    const r = await sign(transfer(recipient, 2n * ETH, nonce));
    assert.equal(r.status, 'pending_approval');
    assert.equal(r.required, 2);
    assert.deepEqual(r.approvedBy, []);
    assert.deepEqual((r.statement as Record<string, unknown>).intentDigest, r.intentDigest);
  });

  test('a retry with the same request id answers the stored response; another request under it is a conflict', async () => {
    const tx = transfer(recipient, 1000n, nonce++);
    const first = await sign(tx, 'retry-1');
    assert.deepEqual(await sign(tx, 'retry-1'), first);
    await assert.rejects(sign(transfer(recipient, 1001n, nonce), 'retry-1'), typedError('conflict'));
  });

  test('typed errors: an unknown key is not_found; a malformed transaction is bad_request on its field', async () => {
    await assert.rejects(dispatch(d.dev, 'sign.evm-tx', { requestId: 'r-unknown', requester: 'orchestrator', keyId: 'k-00', tx: transfer(recipient, 1n, nonce) }), typedError('not_found'));
    await assert.rejects(sign({ ...transfer(recipient, 1n, nonce), type: 'eip4844' }), typedError('bad_request', { field: 'type' }));
    await assert.rejects(sign({ ...transfer(recipient, 1n, nonce), to: new Uint8Array(19) }), typedError('bad_request', { field: 'to' }));
    await assert.rejects(sign({ ...transfer(recipient, 1n, nonce), maxPriorityFeePerGas: 3_000_000_000n }), typedError('bad_request', { field: 'maxPriorityFeePerGas' }));
  });

  test('deny: a requester the policy does not name, or names only as an auditor, is answered denied by the requester rule', async () => {
    const stranger = await dispatch(d.dev, 'sign.evm-tx', { requestId: 'r-stranger', requester: 'mallory', keyId, tx: transfer(recipient, 1n, nonce) });
    assert.equal(stranger.status, 'denied');
    assert.deepEqual(codes(stranger), ['unknown_principal']);
    const auditor = await dispatch(d.dev, 'sign.evm-tx', { requestId: 'r-auditor', requester: 'auditor', keyId, tx: transfer(recipient, 1n, nonce) });
    assert.equal(auditor.status, 'denied');
    assert.deepEqual(codes(auditor), ['requester_not_allowed']);
  });
});
