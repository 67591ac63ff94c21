// A stored whitelist proposal as whitelist.propose and whitelist.approve answer it
// (protocol/commands/whitelist-proposal.ts): its tally against the active policy at the device's time,
// when its hold ends, and the statement an admin signs.
import type { WhitelistProposalView } from '../protocol/commands/whitelist-proposal-view.js';
import { tallyAdminApprovals, whitelistActiveAt } from '../firmware-policy/whitelist-governance.js';
import { toChecksumAddress } from '../firmware-policy/evm/secp256k1-signature.js';
import type { Device } from './device.js';
import type { StoredProposal } from './state/whitelist-store.js';

export function whitelistProposalView(dev: Device, p: StoredProposal): WhitelistProposalView {
  const policy = dev.policies.current().doc;
  const tally = tallyAdminApprovals(policy, p, dev.whitelist.approvals(p.id), dev.time());
  return {
    proposalId: p.id,
    group: p.group,
    chainId: p.chainId,
    address: toChecksumAddress(p.address),
    label: p.label,
    proposedBy: p.proposedBy,
    status: p.status,
    createdAt: p.createdAt,
    quorumAt: p.quorumAt,
    activeAt: p.quorumAt === null ? null : whitelistActiveAt(policy, p.group, p.quorumAt),
    required: tally.required,
    approvedBy: tally.counted,
    statement: { type: 'whitelist-add', deviceId: policy.deviceId, proposalId: p.id, group: p.group, chainId: p.chainId, address: p.address, label: p.label, adminId: null, expiresAt: null },
  };
}
