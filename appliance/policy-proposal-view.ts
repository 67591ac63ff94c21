// A stored policy proposal as the policy.* commands answer it (protocol/commands/policy-proposal-view.ts):
// its tally against the active policy at the device's time, what it changes, and the statement an
// admin signs; and the listed changes between two policies (policy.diff too).
import type { ListedPolicyChanges, PolicyChangeView, PolicyProposalView } from '../protocol/commands/policy-proposal-view.js';
import { MAX_LISTED_CHANGES } from '../protocol/limits.js';
import type { PolicyDocument } from '../firmware-policy/policy-document.js';
import { diffPolicies } from '../firmware-policy/policy-change.js';
import { tallyPolicyApprovals } from '../firmware-policy/policy-governance.js';
import type { Device } from './device.js';
import type { StoredPolicyProposal } from './state/policy-proposals.js';
import { proposedDocument } from './policy-proposal-lookup.js';

/** The first MAX_LISTED_CHANGES changes, and how many there are in all (an answer must fit its frame). */
export function listedChanges(from: PolicyDocument, to: PolicyDocument): ListedPolicyChanges {
  const all = diffPolicies(from, to);
  const changes = all.slice(0, MAX_LISTED_CHANGES).map((c) => {
    const m: PolicyChangeView = { path: c.path, kind: c.kind, stricter: c.stricter };
    if (c.before !== undefined) m.before = c.before;
    if (c.after !== undefined) m.after = c.after;
    if (c.note !== undefined) m.note = c.note;
    return m;
  });
  return { changes, changeCount: all.length };
}

export function policyProposalView(dev: Device, p: StoredPolicyProposal): PolicyProposalView {
  const active = dev.policies.current();
  const doc = proposedDocument(p);
  const tally = tallyPolicyApprovals(active.doc, p, dev.proposals.approvals(p.id), dev.time());
  return {
    proposalId: p.id,
    version: p.version,
    hash: p.hash,
    proposedBy: p.proposedBy,
    status: p.status,
    stricter: p.stricter,
    createdAt: p.createdAt,
    quorumAt: p.quorumAt,
    activateAfter: p.activateAfter,
    required: tally.required,
    approvedBy: tally.counted,
    ...listedChanges(active.doc, doc),
    statement: { type: 'policy-change', deviceId: dev.config.deviceId, proposalId: p.id, version: p.version, hash: p.hash, adminId: null, expiresAt: null },
  };
}
