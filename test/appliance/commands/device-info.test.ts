// device.info through the dispatcher on an in-process device (real SoftHSM2 token): the device's
// identity and certificates, the running and enrolled firmware measurements, the sealed state.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { dispatch } from '../../../appliance/dispatch.js';
import { openInProcessDevice, typedError, type InProcessDevice } from '../../helpers/in-process-device.js';

let d: InProcessDevice;

describe('device.info', () => {
  before(async () => {
    d = await openInProcessDevice();
  });
  after(() => d?.close());

  test('names the device, its certificate issued by the manufacturer CA, its approved firmware and an intact sealed state', async () => {
    const info = await dispatch(d.dev, 'device.info', {});
    assert.equal(info.deviceId, d.dev.config.deviceId);
    const cert = new X509Certificate(String(info.deviceCertificate));
    const ca = new X509Certificate(String(info.caCertificate));
    assert.ok(cert.verify(ca.publicKey), 'the device certificate is signed by the CA');
    assert.deepEqual(info.measurement, d.dev.measurement);
    assert.deepEqual(info.enrolledMeasurement, d.dev.measurement, 'this build is the enrolled firmware');
    assert.equal(info.firmwareApproved, true);
    assert.deepEqual(info.approvedMeasurements, []);
    assert.deepEqual(info.sealed, { ok: true, findings: [] });
    assert.equal((info.attestationPublicKey as Uint8Array).length > 0, true);
  });

  test('an argument is refused as bad_request naming it', async () => {
    await assert.rejects(dispatch(d.dev, 'device.info', { verbose: true }), typedError('bad_request', { field: 'args.verbose' }));
  });
});
