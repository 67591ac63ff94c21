// device.time: the device clock's two readings of now (earliest and latest possible), the host's, and
// the nonce an admin time statement (device.time.attest) must carry.
import { onlyKeys } from '../args.js';
import { defineCommand } from './command.js';

export type DeviceTimeArgs = Record<string, never>;

/** What each admin signs: this map with time, adminId and expiresAt filled in, canonically encoded. */
export type TimeStatementTemplate = {
  type: 'device-time';
  deviceId: string;
  nonce: Uint8Array;
  time: null;
  adminId: null;
  expiresAt: null;
};

export type DeviceTimeResult = {
  /** The earliest possible now, unix seconds: what the device acts on. */
  time: number;
  latest: number;
  hostTime: number;
  hostAheadSeconds: number;
  toleranceSeconds: number;
  nonce: Uint8Array;
  statement: TimeStatementTemplate;
};

export const deviceTime = defineCommand<DeviceTimeArgs, DeviceTimeResult>()({
  name: 'device.time',
  summary: 'The device clock: earliest and latest possible time, the host time, and the nonce a time statement carries.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', []);
    return {};
  },
});
