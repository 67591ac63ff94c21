// policy.init (protocol/commands/policy-init.ts): installs the first policy of a new device, which
// must carry its own admin quorum's signatures (later versions go through governance), and audits it.
import type { PolicyInitArgs, PolicyInitResult } from '../../protocol/commands/policy-init.js';
import { decodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { parsePolicy } from '../../firmware-policy/policy-document.js';
import type { Device } from '../device.js';
import { countedApprovals } from '../admin-quorum.js';
import { checkFirstPolicy } from '../first-policy.js';

export async function policyInit(dev: Device, { document, approvals }: PolicyInitArgs): Promise<PolicyInitResult> {
  const doc = parsePolicy(decodeCanonical(document));
  const now = dev.clock();
  const { counted } = checkFirstPolicy(dev, doc, approvals, dev.time());
  return dev.seal.transaction(() => {
    if (dev.policies.hasPolicy()) throw new ApplianceError('conflict', 'device already has a policy');
    const active = dev.policies.activate(doc, now);
    const entry = dev.audit.append(now, { kind: 'policy.init', policyVersion: doc.version, policyHash: active.hash, document: active.encoded, approvals: countedApprovals(approvals, counted) });
    return { version: doc.version, hash: active.hash, auditSeq: entry.seq };
  });
}
