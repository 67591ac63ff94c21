// health (protocol/commands/health.ts): is the device ready, which policy is active, how long is the log.
import type { HealthArgs, HealthResult } from '../../protocol/commands/health.js';
import type { Device } from '../device.js';

export async function health(dev: Device, _args: HealthArgs): Promise<HealthResult> {
  const p = dev.policies.hasPolicy() ? dev.policies.current() : undefined;
  return {
    deviceId: dev.config.deviceId,
    ready: p !== undefined,
    policyVersion: p ? p.doc.version : null,
    policyHash: p ? p.hash : null,
    auditHeadSeq: dev.audit.head().seq,
    keys: dev.keys.list().length,
  };
}
