// policy.get returns the active policy; policy.init installs the first policy of a new device
// (later versions go through governance).
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { bytes, onlyKeys } from '../../protocol/args.js';
import { parsePolicy, policyToCbor } from '../../firmware-policy/policy-document.js';
import type { Device } from '../device.js';

export async function policyGet(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', []);
  const p = dev.policies.current();
  return { version: p.doc.version, hash: p.hash, activatedAt: p.activatedAt, document: policyToCbor(p.doc) };
}

export async function policyInit(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['document']);
  const doc = parsePolicy(decodeCanonical(bytes(args, 'document', undefined, 1 << 20)));
  if (doc.deviceId !== dev.config.deviceId) throw new ApplianceError('bad_request', 'policy names another device', { field: 'deviceId' });
  if (doc.parentHash !== null) throw new ApplianceError('bad_request', 'the first policy has no parent', { field: 'parentHash' });
  const now = dev.clock();
  return dev.seal.transaction(() => {
    if (dev.policies.hasPolicy()) throw new ApplianceError('conflict', 'device already has a policy');
    const active = dev.policies.activate(doc, now);
    const entry = dev.audit.append(now, { kind: 'policy.init', policyVersion: doc.version, policyHash: active.hash, document: active.encoded });
    return { version: doc.version, hash: active.hash, auditSeq: entry.seq };
  });
}
