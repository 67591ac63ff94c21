// health: is the device ready, which policy is active, how long is the log.
import type { CborMap } from '../../protocol/cbor.js';
import type { Device } from '../device.js';

export async function health(dev: Device): Promise<CborMap> {
  const hasPolicy = dev.policies.hasPolicy();
  const p = hasPolicy ? dev.policies.current() : undefined;
  return {
    deviceId: dev.config.deviceId,
    ready: hasPolicy,
    policyVersion: p ? p.doc.version : null,
    policyHash: p ? p.hash : null,
    auditHeadSeq: dev.audit.head().seq,
    keys: dev.keys.list().length,
  };
}
