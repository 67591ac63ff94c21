// metrics through the dispatcher on an in-process device (real SoftHSM2 token, test clock): counts by
// command and rule after a signed and two denied requests, one HSM signature timed, the group commits,
// and the persisted facts (audit head, sealed state, policy version).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dispatch } from '../../../appliance/dispatch.js';
import { openInProcessDevice, transfer, typedError, whitelistAddress, type InProcessDevice } from '../../helpers/in-process-device.js';
import { ETH } from '../../helpers/test-device.js';
import type { MetricsResult } from '../../../protocol/commands/metrics.js';

let d: InProcessDevice;
let keyId: string;
const recipient = new Uint8Array(randomBytes(20));
const read = async () => (await dispatch(d.dev, 'metrics', {})) as unknown as MetricsResult;

describe('metrics', () => {
  before(async () => {
    d = await openInProcessDevice();
    keyId = String(d.keys[0]?.keyId);
    await whitelistAddress(d, recipient);
    d.clock.advance(2); // past the test policy's hold
  });
  after(() => d?.close());

  test('a fresh device: no decisions, its audit head, an intact sealed state and the active policy', async () => {
    const m = await read();
    assert.equal(m.deviceId, d.dev.config.deviceId);
    assert.deepEqual([m.signed, m.denied, m.pending, m.signFailed], [{}, {}, {}, 0]);
    assert.equal(m.auditHeadSeq, d.dev.audit.head().seq);
    assert.deepEqual([m.sealedOk, m.sealedFindings], [true, 0]);
    assert.equal(m.policyVersion, d.dev.policies.current().doc.version);
  });

  test('signed by command, denied by rule, one HSM signature timed, one group commit per state change', async () => {
    const before = await read();
    const sign = (requestId: string, requester: string, to: Uint8Array, nonce: number) => dispatch(d.dev, 'sign.evm-tx', { requestId, requester, keyId, tx: transfer(to, ETH / 10n, nonce) });
    assert.equal((await sign('m-signed', 'orchestrator', recipient, 0)).status, 'signed');
    assert.equal((await sign('m-stranger', 'orchestrator', new Uint8Array(randomBytes(20)), 1)).status, 'denied');
    assert.equal((await sign('m-mallory', 'mallory', recipient, 1)).status, 'denied');
    assert.equal((await sign('m-signed', 'orchestrator', recipient, 0)).status, 'signed', 'a retry gets its stored answer');
    const m = await read();
    assert.deepEqual(m.signed, { 'sign.evm-tx': 1 }, 'the retry is not counted again');
    assert.deepEqual(m.denied, { whitelist: 1, requester: 1 });
    assert.deepEqual(m.pending, {});
    assert.equal(m.hsmSignMicros.count, 1);
    assert.equal(m.hsmSignMicros.counts.at(-1), 1);
    assert.ok(m.hsmSignMicros.sum > 0);
    assert.equal(m.groupCommitSize.count - before.groupCommitSize.count, 4, 'signed: decision and signature; each denial: one');
    assert.equal(m.auditHeadSeq, d.dev.audit.head().seq);
    assert.equal(m.auditHeadSeq - before.auditHeadSeq, 3, 'one entry per decision (the reservation commit writes none)');
    // The stages of the signing path: three decisions judged, one signature made and released.
    const ran = (stage: string) => (m.stages[stage]?.count ?? 0) - (before.stages[stage]?.count ?? 0);
    assert.equal(ran('policy'), 3);
    assert.equal(ran('reservation_commit'), 3);
    assert.deepEqual([ran('hsm_sign'), ran('y_parity'), ran('response_commit')], [1, 1, 1]);
    assert.equal(ran('audit_sign'), 3, 'one token signature per audit entry');
    assert.ok(ran('seal') >= 4, 'rows and checkpoints MACed in the token');
    assert.ok(m.stages.hsm_sign!.micros > 0);
    assert.ok(m.cpuMicros.user + m.cpuMicros.system > before.cpuMicros.user + before.cpuMicros.system, 'the process spent CPU');
  });

  test('an argument is refused as bad_request naming it', async () => {
    await assert.rejects(dispatch(d.dev, 'metrics', { verbose: true }), typedError('bad_request', { field: 'args.verbose' }));
  });
});
