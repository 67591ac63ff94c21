// policy.get returns the active policy; policy.init installs the first policy of a new device, which
// must carry its own admin quorum's signatures (later versions go through governance).
import { decodeCanonical, type CborMap, type CborValue } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { asMap, bytes, onlyKeys, str, uint } from '../../protocol/args.js';
import { parsePolicy, policyHash, policyToCbor, type PolicyDocument } from '../../firmware-policy/policy-document.js';
import { tallyPolicyInit } from '../../firmware-policy/policy-governance.js';
import type { Now } from '../../firmware-policy/device-time.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import type { Device } from '../device.js';
import { countedApprovals, requireAdminQuorum } from '../admin-quorum.js';

/** Parses `approvals`: an array of { adminId, expiresAt, signature }. */
export function parseAdminApprovals(v: CborValue | undefined, field = 'approvals'): Approval[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) throw new ApplianceError('bad_request', `"${field}" expected an array of 1 to 64 signed admin approvals`, { field });
  return v.map((item, i) => {
    const m = asMap(item, `${field}[${i}]`);
    onlyKeys(m, `${field}[${i}]`, ['adminId', 'expiresAt', 'signature']);
    return { approverId: str(m, 'adminId', 128), expiresAt: uint(m, 'expiresAt'), signature: bytes(m, 'signature', undefined, 512) };
  });
}

/**
 * Checks a first policy for this device: names it, has no parent, and carries the signatures of its
 * own admin quorum. Returns the canonical hash and the counted admins. Throws 'denied' otherwise.
 */
export function checkFirstPolicy(dev: Device, doc: PolicyDocument, approvals: Approval[], now: Now): { hash: Uint8Array; counted: string[] } {
  if (doc.deviceId !== dev.config.deviceId) throw new ApplianceError('bad_request', 'policy names another device', { field: 'deviceId' });
  if (doc.parentHash !== null) throw new ApplianceError('bad_request', 'the first policy has no parent', { field: 'parentHash' });
  const hash = policyHash(doc);
  const tally = tallyPolicyInit(doc, hash, approvals, now);
  requireAdminQuorum(tally, 'the first policy', 'signatures');
  return { hash, counted: tally.counted };
}

export async function policyGet(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', []);
  const p = dev.policies.current();
  return { version: p.doc.version, hash: p.hash, activatedAt: p.activatedAt, document: policyToCbor(p.doc) };
}

export async function policyInit(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['document', 'approvals']);
  const doc = parsePolicy(decodeCanonical(bytes(args, 'document', undefined, 1 << 20)));
  const approvals = parseAdminApprovals(args.approvals);
  const now = dev.clock();
  const { counted } = checkFirstPolicy(dev, doc, approvals, dev.time());
  return dev.seal.transaction(() => {
    if (dev.policies.hasPolicy()) throw new ApplianceError('conflict', 'device already has a policy');
    const active = dev.policies.activate(doc, now);
    const entry = dev.audit.append(now, { kind: 'policy.init', policyVersion: doc.version, policyHash: active.hash, document: active.encoded, approvals: countedApprovals(approvals, counted) });
    return { version: doc.version, hash: active.hash, auditSeq: entry.seq };
  });
}
