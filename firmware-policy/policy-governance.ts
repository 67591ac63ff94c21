// Policy governance (DESIGN.md invariant 5): a new version is proposed (naming its parent's hash),
// approved by the admin quorum of the ACTIVE policy (the proposer's own signature does not count),
// waits out the time lock, then activates. A change that only tightens activates as soon as its
// quorum is met. Turning a group's whitelist requirement off also waits that group's hold (as the
// Coinbase address book does). Admins sign canonical statements naming the device, the proposal, the
// new document's hash and an expiry.
import { encodeCanonical } from '../protocol/cbor.js';
import type { ApprovalTally } from './decision.js';
import type { Approval } from './approvals/statement.js';
import { tallySignedApprovals } from './approvals/tally.js';
import { changeDelaySeconds, groupHoldSeconds, maxApprovalLifetimeSeconds, ownEntry, type PolicyDocument } from './policy-document.js';
import { isStrictlyTighter } from './policy-change.js';
import type { Now } from './device-time.js';

export interface PolicyProposalRef {
  id: string;
  version: number;
  hash: Uint8Array;
  proposedBy: string;
}

export function encodePolicyChangeStatement(deviceId: string, p: PolicyProposalRef, adminId: string, expiresAt: number): Uint8Array {
  return encodeCanonical({ type: 'policy-change', deviceId, proposalId: p.id, version: p.version, hash: p.hash, adminId, expiresAt });
}

export function encodePolicyCancelStatement(deviceId: string, proposalId: string, adminId: string, expiresAt: number): Uint8Array {
  return encodeCanonical({ type: 'policy-cancel', deviceId, proposalId, adminId, expiresAt });
}

/** What each admin signs to install a device's first policy (at the key ceremony). */
export function encodePolicyInitStatement(deviceId: string, hash: Uint8Array, adminId: string, expiresAt: number): Uint8Array {
  return encodeCanonical({ type: 'policy-init', deviceId, version: 1, hash, adminId, expiresAt });
}

/**
 * The first policy has no active policy above it: it must carry the signatures of its OWN admin
 * quorum (the admins it enrols), each over the device id and the document's hash.
 */
export function tallyPolicyInit(doc: PolicyDocument, hash: Uint8Array, approvals: readonly Approval[], now: Now): ApprovalTally {
  return tallySignedApprovals(
    {
      principals: doc.admins,
      required: doc.adminQuorum,
      requester: '',
      now,
      maxLifetimeSeconds: maxApprovalLifetimeSeconds(doc),
      statementFor: (adminId, expiresAt) => encodePolicyInitStatement(doc.deviceId, hash, adminId, expiresAt),
    },
    approvals,
  );
}

/**
 * What each admin signs to let a device be rebuilt from one named backup: restoring brings back the
 * backup's policy and state, so it is an admin-quorum decision like a policy change.
 */
export function encodeRestoreStatement(deviceId: string, backupHash: Uint8Array, adminId: string, expiresAt: number): Uint8Array {
  return encodeCanonical({ type: 'device-restore', deviceId, backupHash, adminId, expiresAt });
}

/** Restore approvals, counted against the admins and quorum of the policy inside the backup. */
export function tallyRestoreApprovals(doc: PolicyDocument, backupHash: Uint8Array, approvals: readonly Approval[], now: Now): ApprovalTally {
  return tallySignedApprovals(
    {
      principals: doc.admins,
      required: doc.adminQuorum,
      requester: '',
      now,
      maxLifetimeSeconds: maxApprovalLifetimeSeconds(doc),
      statementFor: (adminId, expiresAt) => encodeRestoreStatement(doc.deviceId, backupHash, adminId, expiresAt),
    },
    approvals,
  );
}

/** Admin approvals of a proposal, counted against the active policy's admins and quorum. */
export function tallyPolicyApprovals(active: PolicyDocument, p: PolicyProposalRef, approvals: readonly Approval[], now: Now): ApprovalTally {
  return tallySignedApprovals(
    {
      principals: active.admins,
      required: active.adminQuorum,
      requester: p.proposedBy,
      now,
      maxLifetimeSeconds: maxApprovalLifetimeSeconds(active),
      statementFor: (adminId, expiresAt) => encodePolicyChangeStatement(active.deviceId, p, adminId, expiresAt),
    },
    approvals,
  );
}

/** One admin of the active policy may cancel a pending change (cancelling never loosens anything). */
export function verifyCancel(active: PolicyDocument, proposalId: string, approval: Approval, now: Now): ApprovalTally {
  return tallySignedApprovals(
    {
      principals: active.admins,
      required: 1,
      requester: '',
      now,
      maxLifetimeSeconds: maxApprovalLifetimeSeconds(active),
      statementFor: (adminId, expiresAt) => encodePolicyCancelStatement(active.deviceId, proposalId, adminId, expiresAt),
    },
    [approval],
  );
}

/**
 * Seconds between quorum and activation: 0 for a change that only tightens; otherwise the active
 * policy's time lock, and at least the hold of any group whose whitelist requirement is turned off.
 */
export function activationDelay(active: PolicyDocument, proposed: PolicyDocument): number {
  if (isStrictlyTighter(active, proposed)) return 0;
  let delay = changeDelaySeconds(active);
  for (const [name, g] of Object.entries(active.groups)) {
    const next = ownEntry(proposed.groups, name);
    if (g.whitelistRequired && next && !next.whitelistRequired) delay = Math.max(delay, groupHoldSeconds(active, name));
  }
  return delay;
}
