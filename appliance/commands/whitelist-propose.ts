// whitelist.propose (protocol/commands/whitelist-propose.ts): an admin proposes a whitelist address for
// a key group on a chain the group allows; the proposal waits for the admin quorum, then the hold.
import { randomBytes } from 'node:crypto';
import type { WhitelistProposeArgs, WhitelistProposeResult } from '../../protocol/commands/whitelist-propose.js';
import { ApplianceError } from '../../protocol/errors.js';
import type { WhitelistProposal } from '../../firmware-policy/whitelist-governance.js';
import { groupOf } from '../../firmware-policy/policy-document.js';
import type { Device } from '../device.js';
import { assertAdminRequest } from '../requester-role.js';
import { whitelistProposalView } from '../whitelist-proposal-view.js';

export async function whitelistPropose(dev: Device, args: WhitelistProposeArgs): Promise<WhitelistProposeResult> {
  const proposal: WhitelistProposal = {
    id: `wp-${randomBytes(8).toString('hex')}`,
    proposedBy: args.requester,
    group: args.group,
    chainId: args.chainId,
    address: args.address,
    label: args.label,
  };
  // Under requireSignedProposals the proposer is the admin whose stamp verified, so the rule that a
  // proposer may not approve its own proposal holds for the admin who really asked.
  const proof = assertAdminRequest(dev, 'whitelist.propose', 'whitelist.propose', proposal.proposedBy, args);
  const policy = dev.policies.current();
  const group = groupOf(policy.doc, proposal.group);
  if (!group) throw new ApplianceError('bad_request', `key group "${proposal.group}" is not in the active policy`, { field: 'group' });
  if (!group.chains.includes(proposal.chainId)) throw new ApplianceError('bad_request', `chain ${proposal.chainId} is not allowed for group "${proposal.group}"`, { field: 'chainId' });
  const now = dev.clock();
  dev.seal.transaction(() => {
    dev.whitelist.insertProposal(proposal, now);
    dev.audit.append(now, {
      kind: 'whitelist.propose',
      proposalId: proposal.id,
      requester: proposal.proposedBy,
      group: proposal.group,
      chainId: proposal.chainId,
      address: proposal.address,
      label: proposal.label,
      ...proof,
      policyVersion: policy.doc.version,
      policyHash: policy.hash,
    });
  });
  const stored = dev.whitelist.proposal(proposal.id);
  if (!stored) throw new ApplianceError('internal', 'proposal not stored');
  return whitelistProposalView(dev, stored);
}
