// device.info (protocol/commands/device-info.ts): the device's identity and certificates, the running
// and approved firmware measurements, and the sealed-state status.
import type { DeviceInfoArgs, DeviceInfoResult } from '../../protocol/commands/device-info.js';
import type { Device } from '../device.js';
import { firmwareStatus, requireIdentity } from '../device.js';

export async function deviceInfo(dev: Device, _args: DeviceInfoArgs): Promise<DeviceInfoResult> {
  const id = requireIdentity(dev);
  const fw = firmwareStatus(dev);
  return {
    deviceId: dev.config.deviceId,
    deviceCertificate: id.deviceCertPem,
    caCertificate: id.caCertPem,
    attestationPublicKey: id.attestationPublicKey,
    measurement: dev.measurement,
    enrolledMeasurement: id.enrolledMeasurement,
    approvedMeasurements: dev.meta.approvedMeasurements(),
    firmwareApproved: fw.approved,
    sealed: dev.sealed.status(),
  };
}
