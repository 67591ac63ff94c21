// device.info: the device's identity and certificates, the running and approved firmware
// measurements, and whether the sealed state accepts commands.
import { onlyKeys } from '../args.js';
import { defineCommand } from './command.js';

export type DeviceInfoArgs = Record<string, never>;

export type DeviceInfoResult = {
  deviceId: string;
  /** PEM certificate of the device attestation key, issued by the manufacturer CA. */
  deviceCertificate: string;
  caCertificate: string;
  /** P-256 public key (SEC1 uncompressed) that signs audit entries, quotes and key certificates. */
  attestationPublicKey: Uint8Array;
  /** SHA-256 measurement of the running firmware. */
  measurement: Uint8Array;
  enrolledMeasurement: Uint8Array;
  /** Hex measurements the admin quorum approved (firmware.approve). */
  approvedMeasurements: string[];
  /** The running measurement is the enrolled one or an approved one: the device may use keys. */
  firmwareApproved: boolean;
  sealed: { ok: boolean; findings: string[] };
};

export const deviceInfo = defineCommand<DeviceInfoArgs, DeviceInfoResult>()({
  name: 'device.info',
  summary: 'Device identity, certificates, firmware measurements and sealed-state status.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', []);
    return {};
  },
});
