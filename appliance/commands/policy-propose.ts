// policy.propose (protocol/commands/policy-propose.ts): an admin proposes the next policy version,
// which must name this device and the active policy as its parent; the proposal records whether it
// only tightens (then it needs no time lock) and is audited with the whole document.
import { randomBytes } from 'node:crypto';
import type { PolicyProposeArgs, PolicyProposeResult } from '../../protocol/commands/policy-propose.js';
import { decodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { encodePolicy, parsePolicy, policyHash } from '../../firmware-policy/policy-document.js';
import { isStrictlyTighter } from '../../firmware-policy/policy-change.js';
import type { Device } from '../device.js';
import { assertAdminRequest } from '../requester-role.js';
import { requirePolicyProposal } from '../policy-proposal-lookup.js';
import { policyProposalView } from '../policy-proposal-view.js';

export async function policyPropose(dev: Device, args: PolicyProposeArgs): Promise<PolicyProposeResult> {
  const { requester, document } = args;
  const proof = assertAdminRequest(dev, 'policy.propose', 'policy.propose', requester, args);
  const doc = parsePolicy(decodeCanonical(document));
  const active = dev.policies.current();
  if (doc.deviceId !== dev.config.deviceId) throw new ApplianceError('bad_request', 'the proposed policy names another device', { field: 'deviceId' });
  if (doc.version !== active.doc.version + 1) throw new ApplianceError('conflict', `the next version is ${active.doc.version + 1}`, { field: 'version' });
  if (!doc.parentHash || Buffer.compare(Buffer.from(doc.parentHash), Buffer.from(active.hash)) !== 0) {
    throw new ApplianceError('conflict', 'the proposal must name the active policy hash as its parent', { field: 'parentHash' });
  }
  const now = dev.clock();
  const p = {
    id: `pp-${randomBytes(8).toString('hex')}`,
    version: doc.version,
    hash: policyHash(doc),
    doc: encodePolicy(doc),
    proposedBy: requester,
    createdAt: now,
    status: 'pending' as const,
    stricter: isStrictlyTighter(active.doc, doc),
  };
  dev.seal.transaction(() => {
    dev.proposals.insert(p);
    dev.audit.append(now, {
      kind: 'policy.propose',
      proposalId: p.id,
      requester,
      policyVersion: active.doc.version,
      policyHash: active.hash,
      proposedVersion: p.version,
      proposedHash: p.hash,
      proposedDocument: p.doc,
      stricter: p.stricter,
      ...proof,
    });
  });
  return policyProposalView(dev, requirePolicyProposal(dev, p.id));
}
