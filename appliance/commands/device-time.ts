// device.time (protocol/commands/device-time.ts): the device's two readings of now, the host's, and
// the nonce an admin time statement must carry (README "Device time").
import type { DeviceTimeArgs, DeviceTimeResult } from '../../protocol/commands/device-time.js';
import type { Device } from '../device.js';

export async function deviceTime(dev: Device, _args: DeviceTimeArgs): Promise<DeviceTimeResult> {
  const { earliest, latest } = dev.time();
  const host = dev.deviceClock.host();
  const nonce = dev.deviceClock.nonce();
  return {
    time: earliest,
    latest,
    hostTime: host,
    hostAheadSeconds: host - earliest,
    toleranceSeconds: dev.sealed.toleranceSeconds,
    nonce,
    // What each admin signs: this map with time, adminId and expiresAt filled in, canonically encoded.
    statement: { type: 'device-time', deviceId: dev.config.deviceId, nonce, time: null, adminId: null, expiresAt: null },
  };
}
