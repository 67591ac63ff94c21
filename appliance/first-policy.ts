// The check of a device's first policy (policy.init and the init ceremony): it names this device, has
// no parent, and carries the signatures of its own admin quorum.
import { ApplianceError } from '../protocol/errors.js';
import { policyHash, type PolicyDocument } from '../firmware-policy/policy-document.js';
import { tallyPolicyInit } from '../firmware-policy/policy-governance.js';
import type { Now } from '../firmware-policy/device-time.js';
import type { Approval } from '../firmware-policy/approvals/statement.js';
import type { Device } from './device.js';
import { requireAdminQuorum } from './admin-quorum.js';

/** Returns the canonical hash and the counted admins; throws 'bad_request' or 'denied' otherwise. */
export function checkFirstPolicy(dev: Device, doc: PolicyDocument, approvals: Approval[], now: Now): { hash: Uint8Array; counted: string[] } {
  if (doc.deviceId !== dev.config.deviceId) throw new ApplianceError('bad_request', 'policy names another device', { field: 'deviceId' });
  if (doc.parentHash !== null) throw new ApplianceError('bad_request', 'the first policy has no parent', { field: 'parentHash' });
  const hash = policyHash(doc);
  const tally = tallyPolicyInit(doc, hash, approvals, now);
  requireAdminQuorum(tally, 'the first policy', 'signatures');
  return { hash, counted: tally.counted };
}
