// policy.init: installs the first policy of a device that has none. The document must name this
// device, have no parent, and carry the signatures of its own admin quorum; later versions go through
// policy.propose.
import { bytes, onlyKeys } from '../args.js';
import { defineCommand } from './command.js';
import { parseAdminApprovals, type AdminApproval, type AdminApprovalParams } from './admin-approval.js';

export type PolicyInitParams = {
  /** Canonical CBOR of the policy document (parsed by the device's policy parser). */
  document: Uint8Array;
  approvals: AdminApprovalParams[];
};

export interface PolicyInitArgs {
  /** At most 1 MiB, not yet decoded. */
  document: Uint8Array;
  approvals: AdminApproval[];
}

export type PolicyInitResult = {
  version: number;
  hash: Uint8Array;
  auditSeq: number;
};

export const policyInit = defineCommand<PolicyInitParams, PolicyInitResult, PolicyInitArgs>()({
  name: 'policy.init',
  summary: "Install a device's first policy, signed by that policy's own admin quorum.",
  changesState: true,
  errors: ['conflict', 'denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['document', 'approvals']);
    return { document: bytes(m, 'document', undefined, 1 << 20), approvals: parseAdminApprovals(m.approvals) };
  },
});
