// /v1/device and /v1/firmware: reads send nothing but the challenge; a firmware approval and a time
// statement carry their signed fields as numbers and bytes; a time statement needs 1 to 64 approvals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordingBridge, TOKENS, errorOf } from './recording-bridge.js';

test('device reads, a firmware approval and a time statement become their commands', async () => {
  const { request, sent } = recordingBridge();
  await request('GET', '/v1/device', { token: TOKENS.auditor });
  await request('GET', `/v1/device/attestation?challenge=0x${'01'.repeat(8)}`, { token: TOKENS.auditor });
  await request('GET', '/v1/device/time', { token: TOKENS.admin });
  await request('POST', '/v1/firmware/approvals', { token: TOKENS.admin, body: { measurement: '0x' + 'aa'.repeat(32), adminId: 'admin-1', expiresAt: 9, signature: '0x03' } });
  await request('POST', '/v1/device/time/attestations', {
    token: TOKENS.admin,
    body: { time: '1800000000', nonce: '0x' + '05'.repeat(16), approvals: [{ adminId: 'admin-1', expiresAt: 9, signature: '0x04' }] },
  });
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [
      { cmd: 'device.info', args: {} },
      { cmd: 'device.attest', args: { challenge: new Uint8Array(8).fill(1) } },
      { cmd: 'device.time', args: {} },
      { cmd: 'firmware.approve', args: { measurement: new Uint8Array(32).fill(0xaa), adminId: 'admin-1', expiresAt: 9, signature: new Uint8Array([3]) } },
      { cmd: 'device.time.attest', args: { time: 1800000000, nonce: new Uint8Array(16).fill(5), approvals: [{ adminId: 'admin-1', expiresAt: 9, signature: new Uint8Array([4]) }] } },
    ],
  );
});

test('a time statement without approvals is 400; the device time is for admins; nothing is sent', async () => {
  const { request, sent } = recordingBridge();
  const none = await request('POST', '/v1/device/time/attestations', { token: TOKENS.admin, body: { time: 1, nonce: '0x' + '05'.repeat(16), approvals: [] } });
  assert.deepEqual(await errorOf(none), { code: 'bad_request', message: '"approvals" expected an array of 1 to 64 signed admin approvals', details: { field: 'approvals' } });
  assert.equal((await request('GET', '/v1/device/time', { token: TOKENS.auditor })).status, 403);
  assert.equal(sent.length, 0);
});
