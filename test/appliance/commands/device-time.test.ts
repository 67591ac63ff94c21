// device.time and device.time.attest through the dispatcher on an in-process device (real SoftHSM2
// token, test clock): the device's time follows its monotonic clock, not a host clock moved ahead;
// an admin-quorum statement with the device's nonce moves it forward once; replays, statements ahead
// of the host and short quorums are typed refusals.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch } from '../../../appliance/dispatch.js';
import { signStatement, type ApproverKeyFile } from '../../../cli/approver-key.js';
import { encodeTimeStatement } from '../../../firmware-policy/time-statement.js';
import { openInProcessDevice, TestClock, typedError, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;

function statement(nonce: Uint8Array, time: number, admins: ApproverKeyFile[]) {
  const expiresAt = d.dev.deviceClock.host() + 600;
  return { time, nonce, approvals: admins.map((a) => ({ adminId: a.id, expiresAt, signature: signStatement(a, encodeTimeStatement(d.dev.config.deviceId, { nonce, time }, a.id, expiresAt)) })) };
}

describe('device.time and device.time.attest', () => {
  before(async () => {
    d = await openInProcessDevice();
  });
  after(() => d?.close());

  test('device.time: the device time follows the clock the device runs on; the nonce stays until used', async () => {
    assert.ok(d.clock instanceof TestClock);
    const t0 = await dispatch(d.dev, 'device.time', {});
    assert.equal(t0.time, d.dev.clock());
    // The device resumes from the last time it sealed at creation, which may lie a second or two
    // behind the test clock's start on a loaded machine: the host is ahead by exactly the difference.
    assert.equal(t0.hostAheadSeconds, Number(t0.hostTime) - Number(t0.time));
    assert.ok(Number(t0.hostAheadSeconds) >= 0 && Number(t0.hostAheadSeconds) <= 60);
    assert.equal((t0.nonce as Uint8Array).length, 16);
    d.clock.advance(30);
    const t1 = await dispatch(d.dev, 'device.time', {});
    assert.equal(t1.time, Number(t0.time) + 30);
    assert.deepEqual(t1.nonce, t0.nonce);
  });

  test('device.time.attest: two admins move the time forward once; the same statement again is stale_nonce', async () => {
    const { time, nonce, hostTime } = (await dispatch(d.dev, 'device.time', {})) as { time: number; nonce: Uint8Array; hostTime: number };
    const target = hostTime + 120;
    const args = statement(nonce, target, d.people.admins.slice(0, 2));
    const r = await dispatch(d.dev, 'device.time.attest', args);
    assert.equal(r.status, 'accepted');
    assert.equal(r.advancedSeconds, target - time);
    assert.equal(d.dev.clock(), target);
    assert.notDeepEqual((await dispatch(d.dev, 'device.time', {})).nonce, nonce, 'a used nonce is renewed');
    await assert.rejects(dispatch(d.dev, 'device.time.attest', args), typedError('denied', { rule: 'device-time', code: 'stale_nonce' }));
  });

  test('device.time.attest: ahead of the host clock beyond the tolerance, or one admin short, is refused', async () => {
    const { nonce, hostTime, toleranceSeconds } = (await dispatch(d.dev, 'device.time', {})) as { nonce: Uint8Array; hostTime: number; toleranceSeconds: number };
    const before = d.dev.clock();
    await assert.rejects(dispatch(d.dev, 'device.time.attest', statement(nonce, hostTime + toleranceSeconds + 1, d.people.admins.slice(0, 2))), typedError('denied', { code: 'time_ahead_of_host' }));
    await assert.rejects(dispatch(d.dev, 'device.time.attest', statement(nonce, hostTime + 200, d.people.admins.slice(0, 1))), typedError('denied', { code: 'quorum_not_met' }));
    assert.equal(d.dev.clock(), before, 'refused statements move nothing');
  });
});
